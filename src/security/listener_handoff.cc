#include "security/listener_handoff.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "base/unique_fd.h"
#include "linux/fd_passing.h"

namespace arca::security {

nlohmann::json container_process_state(const nlohmann::json& state, pid_t pid,
                                       const std::string& metadata) {
  nlohmann::json out{
      {"ociVersion", state.value("ociVersion", "")},
      {"fds", {"seccompFd"}},
      {"pid", pid},
  };
  if (!metadata.empty()) out["metadata"] = metadata;  // omitted when empty, as runc
  out["state"] = state;
  return out;
}

Status send_to_listener(const std::string& listener_path, const nlohmann::json& process_state,
                        int fd) {
  const std::string where = "seccomp listener " + quote(listener_path);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (listener_path.size() >= sizeof addr.sun_path) {
    return Error(ENAMETOOLONG, where);
  }
  memcpy(addr.sun_path, listener_path.data(), listener_path.size());
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Error::os(where + ": socket");
  int rc;
  do {
    rc = connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Error::os(where + ": connect");
  const std::string text = process_state.dump();
  // One message, as runc sends it: a blocking stream socket takes it whole.
  auto sent = linux_sys::send_fd(sock.get(), text, fd);
  if (!sent) return std::move(sent).error().context(where + ": send the listener fd");
  return {};
}

}  // namespace arca::security
