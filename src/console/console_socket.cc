#include "console/console_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "linux/fd_passing.h"

namespace arca::console {

Result<UniqueFd> connect_console_socket(const std::string& path) {
  auto failed = [&](const std::string& what) {
    return Error::os(what).context("console socket " + quote(path));
  };
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Error(ENAMETOOLONG, "console socket " + quote(path));
  }
  memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return failed("socket");
  int rc;
  do {
    rc = connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return failed("connect");
  return fd;
}

Status send_master(int socket, int master) {
  auto sent = linux_sys::send_fd(socket, kMasterName, master);
  if (!sent) return std::move(sent).error().context("console socket: send the pty master");
  return {};
}

Status check_terminal_use(bool terminal, bool detached, bool has_console_socket) {
  if (terminal && detached && !has_console_socket) {
    return Error::invalid(
        "process.terminal is set but no --console-socket was given to send the terminal to "
        "(a detached container's terminal needs one)");
  }
  if (has_console_socket && !terminal) {
    return Error::invalid("--console-socket needs process.terminal (it is false)");
  }
  if (has_console_socket && !detached) {
    return Error::invalid(
        "--console-socket needs a detached container (create, run -d): in the foreground "
        "arca relays the terminal itself");
  }
  return {};
}

Status MasterRoute::take(UniqueFd received) {
  if (!received.valid()) return Error::invalid("sync: terminal message without a pty master");
  if (!console_socket.valid()) {
    master = std::move(received);
    return {};
  }
  ARCA_TRY(send_master(console_socket.get(), received.get()));
  console_socket.reset();
  return {};
}

}  // namespace arca::console
