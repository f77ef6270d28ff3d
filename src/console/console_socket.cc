#include "console/console_socket.h"

#include "linux/fd_passing.h"

namespace arca::console {

Result<UniqueFd> connect_console_socket(const std::string& path) {
  auto fd = linux_sys::connect_unix(path);
  if (!fd) return std::move(fd).error().context("console socket " + quote(path));
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
