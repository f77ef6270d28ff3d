// Parsing /proc/PID/stat (internal to src/state; exposed for tests).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace arca::state {

struct ProcStat {
  char state = '?';         // field 3: R, S, D, Z, X, ...
  uint64_t start_time = 0;  // field 22, in clock ticks since boot
};

// Parses the contents of /proc/PID/stat; nullopt when malformed.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// Reads and parses /proc/PID/stat; nullopt when the process does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

}  // namespace arca::state
