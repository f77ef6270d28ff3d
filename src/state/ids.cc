// Container ids, listing the containers under a root, and timestamps.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "state/state.h"

namespace arca::state {

namespace {

constexpr size_t kMaxIdLength = 1024;

bool is_id_char(char c) {
  // Deliberately ASCII only: isalnum() depends on the locale and would accept bytes of
  // other encodings.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '+' || c == '-';
}

// Keeps error messages readable when someone passes a huge id.
std::string shown_id(const std::string& id) {
  constexpr size_t kShown = 64;
  return id.size() <= kShown ? quote(id) : quote(id.substr(0, kShown) + "...");
}

}  // namespace

const char* to_string(Status status) {
  switch (status) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::paused:
      return "paused";
    case Status::stopped:
      return "stopped";
  }
  return "unknown";
}

arca::Status validate_id(const std::string& id) {
  if (id.empty()) return Error::invalid("container id must not be empty");
  const std::string prefix = "invalid container id " + shown_id(id) + ": ";
  if (id.size() > kMaxIdLength) {
    return Error::invalid(prefix + "longer than " + std::to_string(kMaxIdLength) + " characters");
  }
  // The id becomes a directory name under the state root: "." and ".." would alias the
  // root or its parent.
  if (id == "." || id == "..") return Error::invalid(prefix + "must not be \".\" or \"..\"");
  if (!std::all_of(id.begin(), id.end(), is_id_char)) {
    return Error::invalid(prefix + "only letters, digits and _ . + - are allowed");
  }
  return {};
}

Result<std::vector<std::string>> list_ids(const std::string& root) {
  std::vector<std::string> ids;
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return ids;
    return Error::os("list containers in " + quote(root));
  }
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    // Temp files, stray files and symlinks are not containers.
    if (!validate_id(name)) continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISDIR(st.st_mode);
    }
    if (is_dir) ids.push_back(std::move(name));
    errno = 0;
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return Error(read_errno, "list containers in " + quote(root));
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string now_rfc3339() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  // Formatted by hand: strftime calls tzset, which reads /etc/localtime on every start.
  char out[64];
  std::snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(ts.tv_nsec));
  return out;
}

}  // namespace arca::state
