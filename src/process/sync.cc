#include "process/sync.h"

#include <sys/socket.h>

#include <cstring>

#include "linux/fd_passing.h"

namespace arca::process {

namespace {
struct Header {
  uint32_t type;
  int32_t err;
  int64_t value;
};
static_assert(sizeof(Header) == 16);
}  // namespace

const char* to_string(MsgType type) {
  switch (type) {
    case MsgType::kMapsRequest:
      return "maps-request";
    case MsgType::kMapsDone:
      return "maps-done";
    case MsgType::kInitPid:
      return "init-pid";
    case MsgType::kReady:
      return "ready";
    case MsgType::kError:
      return "error";
    case MsgType::kAck:
      return "ack";
    case MsgType::kHooksRequest:
      return "hooks-request";
    case MsgType::kHooksDone:
      return "hooks-done";
    case MsgType::kStarted:
      return "started";
    case MsgType::kTerminal:
      return "terminal";
    case MsgType::kSeccompFd:
      return "seccomp-fd";
  }
  return "unknown";
}

std::string encode(const Message& m) {
  Header h{static_cast<uint32_t>(m.type), m.err, m.value};
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  out.append(m.text, 0, kMaxMessage - sizeof h);
  return out;
}

Result<Message> decode(const char* data, size_t size) {
  if (size < sizeof(Header)) return Error::invalid("sync: short message");
  Header h;
  memcpy(&h, data, sizeof h);
  // 7 (kCgroupReady) is retired.
  if (h.type < 1 || h.type > static_cast<uint32_t>(MsgType::kSeccompFd) || h.type == 7) {
    return Error::invalid("sync: unknown message type " + std::to_string(h.type));
  }
  Message m;
  m.type = static_cast<MsgType>(h.type);
  m.err = h.err;
  m.value = h.value;
  m.text.assign(data + sizeof h, size - sizeof h);
  return m;
}

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return Error::os("socketpair");
  }
  return std::make_pair(SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1])));
}

Status SyncChannel::send(const Message& m, int fd) const {
  std::string wire = encode(m);
  if (fd >= 0) {
    auto sent = linux_sys::send_fd(fd_.get(), wire, fd);
    if (!sent) return std::move(sent).error().context(std::string("sync: ") + to_string(m.type));
    return {};
  }
  ssize_t n;
  do {
    n = ::send(fd_.get(), wire.data(), wire.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::os(std::string("sync: send ") + to_string(m.type));
  return {};
}

Result<Message> SyncChannel::receive(UniqueFd* fd) const {
  char buf[kMaxMessage];
  auto n = linux_sys::receive_fd(fd_.get(), buf, sizeof buf, fd);
  if (!n) return std::move(n).error().context("sync");
  if (*n == 0) return Error::invalid("closed");
  return decode(buf, *n);
}

bool SyncChannel::closed_by_peer(const Error& e) const {
  return e.code() == 0 && e.message() == "closed";
}

Status ParentProtocol::expect(MsgType received) {
  auto unexpected = [&](const char* why) {
    return Error::invalid(std::string("sync: unexpected ") + to_string(received) + " " + why);
  };
  if (ready_) return unexpected("after ready");
  switch (received) {
    case MsgType::kMapsRequest:
      if (!want_maps_) return unexpected("(no new user namespace)");
      want_maps_ = false;
      return {};
    case MsgType::kInitPid:
      if (!want_pid_) return unexpected("(no intermediate process)");
      if (want_maps_) return unexpected("before the id maps were written");
      want_pid_ = false;
      return {};
    case MsgType::kTerminal:
      if (!want_terminal_) return unexpected("(no terminal requested, or a second one)");
      if (want_maps_ || want_pid_) return unexpected("before the namespaces were set up");
      if (want_hooks_) return unexpected("before the createRuntime hooks ran");
      want_terminal_ = false;
      return {};
    case MsgType::kHooksRequest:
      if (!want_hooks_) return unexpected("(no hooks)");
      if (want_maps_ || want_pid_) return unexpected("before the namespaces were set up");
      want_hooks_ = false;
      return {};
    case MsgType::kReady:
      if (want_maps_ || want_pid_) return unexpected("before the namespaces were set up");
      if (want_hooks_) return unexpected("before the createRuntime hooks ran");
      if (want_terminal_) return unexpected("before the terminal was sent");
      ready_ = true;
      return {};
    case MsgType::kStarted:
      return unexpected("before ready");
    case MsgType::kError:
      return {};
    case MsgType::kSeccompFd:
      if (want_maps_ || want_pid_) return unexpected("before the namespaces were set up");
      if (seccomp_fd_) return unexpected("twice");
      seccomp_fd_ = true;
      return {};
    case MsgType::kMapsDone:
    case MsgType::kAck:
    case MsgType::kHooksDone:
      return unexpected("(parent-to-child message)");
  }
  return unexpected("");
}

}  // namespace arca::process
