#include "console/raw_mode.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iterator>

namespace arca::console {

namespace {

// Signals that end arca on their own (not forwarded, cannot be blocked meaningfully).
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};

// The handler's view of the terminal to restore; written only while no handler is set.
int g_fd = -1;
termios g_saved;
struct sigaction g_previous[std::size(kFatalSignals)];

void restore_and_die(int sig) {
  tcsetattr(g_fd, TCSANOW, &g_saved);  // async-signal-safe
  // SA_RESETHAND put the default action back: the re-raised signal ends arca as before.
  raise(sig);
}

}  // namespace

RawMode::RawMode(int fd) {
  termios mode;
  if (!isatty(fd) || tcgetattr(fd, &mode) != 0) return;
  g_fd = fd;
  g_saved = mode;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = restore_and_die;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    sigaction(kFatalSignals[i], &sa, &g_previous[i]);
  }
  cfmakeraw(&mode);
  if (tcsetattr(fd, TCSANOW, &mode) != 0) {
    for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
      sigaction(kFatalSignals[i], &g_previous[i], nullptr);
    }
    return;
  }
  fd_ = fd;
}

RawMode::~RawMode() {
  if (fd_ < 0) return;
  // TCSANOW, not TCSADRAIN: a terminal whose reader stopped reading would never drain,
  // and a pty applies output processing when written, so nothing is reinterpreted.
  tcsetattr(fd_, TCSANOW, &g_saved);
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    sigaction(kFatalSignals[i], &g_previous[i], nullptr);
  }
}

}  // namespace arca::console
