#include "security/listener_handoff.h"

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
  auto sock = linux_sys::connect_unix(listener_path);
  if (!sock) return std::move(sock).error().context(where);
  const std::string text = process_state.dump();
  // One message, as runc sends it: a blocking stream socket takes it whole.
  auto sent = linux_sys::send_fd(sock->get(), text, fd);
  if (!sent) return std::move(sent).error().context(where + ": send the listener fd");
  return {};
}

}  // namespace arca::security
