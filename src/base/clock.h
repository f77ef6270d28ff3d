// Milliseconds on CLOCK_MONOTONIC: deadlines of the single-threaded poll loops (hooks,
// the terminal relay, D-Bus calls).
#pragma once

#include <time.h>

#include <cstdint>

namespace arca {

inline int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace arca
