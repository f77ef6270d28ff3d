#include "linux/fd_passing.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace arca::linux_sys {

namespace {
// Room for one fd; CMSG_SPACE is a constant expression with glibc.
constexpr size_t kOneFd = CMSG_SPACE(sizeof(int));

struct OneFdMessage {
  iovec iov;
  alignas(cmsghdr) char control[kOneFd] = {};
  msghdr msg = {};
  OneFdMessage(void* data, size_t size) : iov{data, size} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  OneFdMessage(const OneFdMessage&) = delete;  // msg points into the object
  OneFdMessage& operator=(const OneFdMessage&) = delete;
};
}  // namespace

Result<UniqueFd> connect_unix(const std::string& path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return Error(ENAMETOOLONG, "connect");
  memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error::os("socket");
  int rc;
  do {
    rc = connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Error::os("connect");
  return fd;
}

Status send_fd(int socket, std::string_view data, int fd) {
  if (data.empty()) return Error(EINVAL, "send fd: empty message");
  OneFdMessage m(const_cast<char*>(data.data()), data.size());
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  ssize_t n;
  do {
    n = sendmsg(socket, &m.msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::os("send fd");
  // The fd goes with the first byte; a short send on a stream socket leaves the rest.
  if (static_cast<size_t>(n) != data.size()) return Error(EMSGSIZE, "send fd: short send");
  return {};
}

Result<size_t> receive_fd(int socket, char* buf, size_t size, UniqueFd* fd) {
  OneFdMessage m(buf, size);
  ssize_t n;
  do {
    n = recvmsg(socket, &m.msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::os("receive");
  UniqueFd got;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m.msg); c != nullptr; c = CMSG_NXTHDR(&m.msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int one;
      memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof one);
      UniqueFd received(one);
      if (!got.valid()) got = std::move(received);  // any other closes with `received`
    }
  }
  if (m.msg.msg_flags & MSG_CTRUNC) return Error(EMSGSIZE, "receive: more than one fd attached");
  if (fd != nullptr) *fd = std::move(got);
  return static_cast<size_t>(n);
}

}  // namespace arca::linux_sys
