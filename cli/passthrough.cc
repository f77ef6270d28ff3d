#include "passthrough.h"

#include <cstdlib>
#include <initializer_list>

namespace arca::cli {

sigset_t forwarded_signals() {
  sigset_t set;
  sigfillset(&set);
  // Not forwarded: child bookkeeping, window changes (the terminal relay copies the size
  // instead), and signals that only make sense synchronously for arca itself.
  for (int sig : {SIGCHLD, SIGWINCH, SIGURG, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
                  SIGABRT, SIGKILL, SIGSTOP}) {
    sigdelset(&set, sig);
  }
  return set;
}

int listen_fds() {
  const char* listen = getenv("LISTEN_FDS");
  if (listen == nullptr) return 0;
  int n = atoi(listen);
  return n > 0 ? n : 0;
}

}  // namespace arca::cli
