// A single-threaded D-Bus client connection over a unix socket: SASL EXTERNAL, Hello when
// the peer is a bus daemon, method calls awaited with a deadline, and signals queued while
// a reply is awaited. No threads, no libdbus.
//
//   ARCA_ASSIGN(auto bus, Connection::open("unix:path=/run/systemd/private", false));
//   ARCA_ASSIGN(Message reply, bus.call(std::move(call), deadline_ms));
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "dbus/wire.h"

namespace arca::dbus {

// The socket path of a D-Bus address: "unix:path=/x" (the first such entry of a ';' list)
// or a bare absolute path. Abstract and tcp addresses are not supported.
Result<std::string> socket_path(const std::string& address);

class Connection {
 public:
  // Connects and authenticates as the caller's euid; `bus` says a bus daemon is there,
  // which gets Hello first.
  static Result<Connection> open(const std::string& address, bool bus);

  // Sends `m` with the next serial and waits until its reply or error arrives, or
  // `deadline` (now_ms()) passes. An error reply is an Error "<name>: <text>".
  Result<Message> call(Message m, int64_t deadline);
  // The next signal (queued first, then read), or an error once `deadline` passes.
  Result<Message> next_signal(int64_t deadline);

 private:
  explicit Connection(UniqueFd fd) : fd_(std::move(fd)) {}
  Status authenticate();
  Result<Message> read_message(int64_t deadline);

  UniqueFd fd_;
  uint32_t serial_ = 0;
  std::string buffer_;           // bytes read beyond the last whole message
  std::deque<Message> signals_;  // arrived while a reply was awaited
};

}  // namespace arca::dbus
