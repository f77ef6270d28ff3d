#include "dbus/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/clock.h"
#include "linux/fd_passing.h"

namespace arca::dbus {
namespace {

// Waits until fd is readable; false once `deadline` passes.
Status wait_readable(int fd, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return Error(ETIMEDOUT, "D-Bus: no answer");
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r > 0) return {};
    if (r < 0 && errno != EINTR) return Error::os("D-Bus: poll");
  }
}

Status write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("D-Bus: send");
    done += static_cast<size_t>(n);
  }
  return {};
}

// Reads more bytes into `buffer`; an error at end of stream.
Status read_some(int fd, std::string& buffer, int64_t deadline) {
  ARCA_TRY(wait_readable(fd, deadline));
  char chunk[4096];
  ssize_t n;
  do {
    n = recv(fd, chunk, sizeof(chunk), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::os("D-Bus: recv");
  if (n == 0) return Error::invalid("D-Bus: the peer closed the connection");
  buffer.append(chunk, static_cast<size_t>(n));
  return {};
}

std::string hex(const std::string& s) {
  std::string out;
  char b[3];
  for (unsigned char c : s) {
    snprintf(b, sizeof(b), "%02x", c);
    out += b;
  }
  return out;
}

}  // namespace

Result<std::string> socket_path(const std::string& address) {
  if (!address.empty() && address[0] == '/') return address;
  size_t start = 0;
  while (start <= address.size()) {
    size_t end = address.find(';', start);
    std::string entry = address.substr(start, end == std::string::npos ? end : end - start);
    if (entry.rfind("unix:", 0) == 0) {
      size_t key = entry.find("path=");
      if (key != std::string::npos && (key == 5 || entry[key - 1] == ',')) {
        std::string path = entry.substr(key + 5);
        return path.substr(0, path.find(','));
      }
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return Error::invalid("D-Bus address " + quote(address) + " has no unix:path=");
}

Result<Connection> Connection::open(const std::string& address, bool bus) {
  ARCA_ASSIGN(std::string path, socket_path(address));
  auto fd = linux_sys::connect_unix(path);
  if (!fd) return std::move(fd).error().context("D-Bus socket " + quote(path));
  Connection c(std::move(*fd));
  ARCA_TRY(c.authenticate());
  if (bus) {
    auto hello = method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "Hello");
    ARCA_TRY(c.call(std::move(hello), now_ms() + 5000));
  }
  return c;
}

Status Connection::authenticate() {
  std::string hello =
      std::string(1, '\0') + "AUTH EXTERNAL " + hex(std::to_string(geteuid())) + "\r\n";
  ARCA_TRY(write_all(fd_.get(), hello));
  int64_t deadline = now_ms() + 5000;
  while (buffer_.find("\r\n") == std::string::npos) {
    if (buffer_.size() > 512) return Error::invalid("D-Bus: authentication reply too long");
    ARCA_TRY(read_some(fd_.get(), buffer_, deadline));
  }
  std::string line = buffer_.substr(0, buffer_.find("\r\n"));
  buffer_.erase(0, line.size() + 2);
  if (line.rfind("OK ", 0) != 0) {
    return Error::invalid("D-Bus: authentication refused: " + quote(line));
  }
  return write_all(fd_.get(), "BEGIN\r\n");
}

Result<Message> Connection::read_message(int64_t deadline) {
  for (;;) {
    ARCA_ASSIGN(size_t size, message_size(buffer_));
    if (size != 0 && buffer_.size() >= size) {
      auto m = decode(std::string_view(buffer_).substr(0, size));
      buffer_.erase(0, size);
      return m;
    }
    ARCA_TRY(read_some(fd_.get(), buffer_, deadline));
  }
}

Result<Message> Connection::call(Message m, int64_t deadline) {
  m.serial = ++serial_;
  ARCA_ASSIGN(std::string bytes, encode(m));
  ARCA_TRY(write_all(fd_.get(), bytes));
  for (;;) {
    auto got = read_message(deadline);
    if (!got) return std::move(got).error().context("D-Bus: " + m.member);
    Message reply = std::move(got).value();
    if (reply.type == Type::kSignal) {
      signals_.push_back(std::move(reply));
      continue;
    }
    if (reply.reply_serial != m.serial) continue;  // a stray reply or a call to us
    if (reply.type == Type::kError) {
      std::string text = reply.first_string();
      return Error::invalid(reply.error_name + (text.empty() ? "" : ": " + text));
    }
    return reply;
  }
}

Result<Message> Connection::next_signal(int64_t deadline) {
  for (;;) {
    if (!signals_.empty()) {
      Message s = std::move(signals_.front());
      signals_.pop_front();
      return s;
    }
    ARCA_ASSIGN(Message m, read_message(deadline));
    if (m.type == Type::kSignal) return m;
  }
}

}  // namespace arca::dbus
