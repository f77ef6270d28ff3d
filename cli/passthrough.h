// What passes from arca's caller to a container process: forwarded signals in the
// foreground and socket-activation fds (shared by run and exec).
#pragma once

#include <signal.h>

namespace arca::cli {

// The signals `run` and `exec` forward to the process they wait for.
sigset_t forwarded_signals();

// systemd socket activation: the number of LISTEN_FDS fds after stdio (0 when unset), which
// pass through as runc passes them.
int listen_fds();

}  // namespace arca::cli
