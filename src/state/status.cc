// Deciding a container's status from its record and the live process table.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "base/unique_fd.h"
#include "state/proc_stat.h"
#include "state/state.h"

namespace arca::state {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  // Field 2 is "(comm)" and comm is chosen by the process: it may hold spaces and ')'.
  // The kernel does not escape it, but the fields after it never contain ')', so the
  // last ')' ends comm.
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Fields 3.. are separated by single spaces; field 3 is the state, 22 the start time.
  constexpr int kStateField = 3;
  constexpr int kStartTimeField = 22;
  ProcStat stat;
  int field = kStateField;
  size_t pos = 0;
  while (field <= kStartTimeField) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    if (pos >= rest.size()) return std::nullopt;
    size_t end = rest.find_first_of(" \n", pos);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view token = rest.substr(pos, end - pos);
    if (field == kStateField) {
      if (token.size() != 1) return std::nullopt;
      stat.state = token[0];
    } else if (field == kStartTimeField) {
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), stat.start_time);
      if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
    }
    pos = end;
    ++field;
  }
  return stat;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string text;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    // ESRCH: the process exited between open and read.
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return parse_proc_stat(text);
}

uint64_t process_start_time(pid_t pid) {
  auto stat = read_proc_stat(pid);
  return stat ? stat->start_time : 0;
}

Status current_status(const Record& record, const std::string& state_dir) {
  // No pid yet: create has not forked init (or died before recording it).
  if (record.pid == 0) return record.creating ? Status::creating : Status::stopped;
  auto stat = read_proc_stat(record.pid);
  // A different start time means the pid was recycled by an unrelated process. A zombie
  // (or a task being reaped, 'X') has finished running; only its parent's wait is missing.
  if (!stat || stat->start_time != record.start_time || stat->state == 'Z' || stat->state == 'X') {
    return Status::stopped;
  }
  if (record.creating) return Status::creating;
  // Init blocks opening the exec fifo until start; start removes the fifo.
  struct stat st;
  if (::lstat((state_dir + "/exec.fifo").c_str(), &st) == 0) return Status::created;
  // TODO(cgroups): report paused when the container's cgroup is frozen.
  return Status::running;
}

}  // namespace arca::state
