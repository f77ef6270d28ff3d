// --console-socket: how a detached container's terminal reaches its caller.
//
// runc's protocol, which containerd's shim (recvtty-like code in containerd/console)
// and conmon implement: the runtime connects to the unix stream socket at the given path
// and sends one message whose data is the master's file name, "/dev/ptmx", with the pty
// master attached (SCM_RIGHTS, exactly one fd). Then it closes the connection.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::console {

// What runc sends as the message data (its master's os.File name).
inline constexpr char kMasterName[] = "/dev/ptmx";

// Connects to the socket at `path` (SOCK_STREAM, close-on-exec). Errors name the path:
// `console socket "/x": connect: No such file or directory`.
Result<UniqueFd> connect_console_socket(const std::string& path);

// Sends the master over a connected console socket.
Status send_master(int socket, int master);

// The terminal options that go together, as runc checks them: a terminal for a process
// arca does not wait for (create, run -d, exec -d) needs a console socket to send its
// master to; a console socket needs a terminal and a detached process (in the foreground
// arca keeps the master itself).
Status check_terminal_use(bool terminal, bool detached, bool has_console_socket);

// Where the pty master a container process sends back goes (create and exec): to the
// console socket when one was connected (sent, then the connection closed, as runc
// does), else kept in `master` for the caller to relay in the foreground.
struct MasterRoute {
  UniqueFd console_socket;
  UniqueFd master;

  Status take(UniqueFd received);
};

}  // namespace arca::console
