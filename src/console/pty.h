// The container side of process.terminal: a pty from the container's own devpts whose
// slave becomes the process's stdio and controlling terminal. The master goes to arca,
// which sends it to the --console-socket or proxies it (console_socket.h, proxy.h).
//
// Used by the init (with /dev/console) and by `exec -t` (without).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::console {

struct WindowSize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};

struct Pty {
  UniqueFd master;
  UniqueFd slave;
};

// A new pty from /dev/ptmx resolved inside `root` (normally the container's
// /dev/ptmx -> pts/ptmx link into its own devpts instance). The slave is opened through
// the master (TIOCGPTPEER), never by a /dev/pts/N path the container could replace.
// Both fds are close-on-exec.
Result<Pty> open_pty(int root);

// TIOCSWINSZ; 0 x 0 leaves the size alone.
Status set_window_size(int fd, WindowSize size);
Result<WindowSize> window_size(int fd);

struct TerminalSetup {
  WindowSize size;             // process.consoleSize; 0 x 0: the kernel's default
  bool mount_console = false;  // bind the slave over /dev/console (the init, not exec)
  uid_t owner = 0;             // the process's user, who must be able to use its terminal
};

// Child side, in the container's mount namespace once its /dev and devpts are set up and
// before the user switch: makes the caller a session leader (setsid unless it is one),
// opens a pty under "/", sizes it, binds /dev/console, gives the slave to `owner`, and
// makes the slave fds 0, 1, 2 and the controlling terminal. Returns the master for arca;
// the caller must close it before execve (it is close-on-exec as well): a container
// holding its own master could read everything typed into its terminal.
Result<UniqueFd> setup_terminal(const TerminalSetup& setup);

}  // namespace arca::console
