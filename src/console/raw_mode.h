// arca's own terminal in raw mode while it relays a container's terminal.
#pragma once

#include <termios.h>

namespace arca::console {

// Puts the terminal on `fd` into raw mode (cfmakeraw) for the object's lifetime; does
// nothing when `fd` is not a terminal. The saved mode is restored by the destructor
// and, should arca die of a fatal signal meanwhile (SIGSEGV, SIGABRT, ...), by a
// handler that then lets the signal take its course. Signals arca forwards are blocked
// and never end it; SIGKILL cannot be caught. One instance at a time (the handler's
// state is process-wide; arca is single-threaded).
class RawMode {
 public:
  explicit RawMode(int fd);
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  bool active() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace arca::console
