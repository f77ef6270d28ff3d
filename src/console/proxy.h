// The foreground side of a terminal: arca keeps the pty master and relays it to its own
// stdin and stdout until the process on the slave exits (`run` and `exec -t` without a
// console socket, and `arca shell`). Single-threaded: one poll loop over stdin, the
// master and a signalfd.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <termios.h>

#include <string>

#include "base/error.h"

namespace arca::console {

// Relays until `pid` (a child of arca) has exited, then returns its status as a shell
// shows it: the exit code, or 128+N when signal N killed it.
//
// - stdin, when it is a terminal, is put into raw mode, so every key (^C and ^Z too)
//   reaches the container's line discipline as a byte, where it becomes SIGINT/SIGTSTP
//   for the container's foreground job; the mode is restored on every way out: return,
//   error, and a fatal signal to arca itself (forwarded signals do not end arca);
// - the window size is copied from arca's terminal at the start and on every SIGWINCH;
// - `forwarded` signals are sent to `pid`;
// - end-of-file on stdin (not a terminal: runc refuses that case) is passed on as the
//   terminal's EOF character once the container has read what came before it, as
//   script(1) does, so `echo cmd | arca run` ends;
// - output written before the exit is drained before returning.
// Blocks `forwarded`, SIGCHLD and SIGWINCH and leaves them blocked; a caller that
// blocked them before starting `pid` loses none.
Result<int> proxy_until_exit(int master, pid_t pid, const sigset_t& forwarded);

// What to write to the master when stdin ends, given the slave's mode (tcgetattr on
// the master reads the slave's): its EOF character, ^D when that is disabled. Sent in
// raw mode too: line editors (ash, readline) read ^D on an empty line as end-of-file.
char eof_char(const termios& slave_mode);

}  // namespace arca::console
