#include "cgroups/recorded.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cerrno>
#include <set>
#include <string>

#include "cgroups/fs.h"

namespace arca::cgroups {

namespace {

// Only directories on a cgroup filesystem (or already gone): state.json is ours, but a
// corrupt or hand-edited one must not make delete rmdir arbitrary paths.
bool plausible(const nlohmann::json& dir) {
  if (!dir.is_string()) return false;
  const std::string& s = dir.get_ref<const std::string&>();
  if (s.empty() || s[0] != '/') return false;
  struct statfs fs;
  if (statfs(s.c_str(), &fs) != 0) return errno == ENOENT;
  return fs.f_type == CGROUP_SUPER_MAGIC || fs.f_type == CGROUP2_SUPER_MAGIC;
}

}  // namespace

Status destroy_recorded(const nlohmann::json& paths) {
  if (!paths.is_object()) return {};
  std::set<std::string> dirs;  // co-mounted controllers share a directory
  for (const auto& [controller, dir] : paths.items()) {
    if (plausible(dir)) dirs.insert(dir.get<std::string>());
  }
  CgroupFs fs(false);
  Status first;
  for (const auto& dir : dirs) {
    Status s = fs.remove_tree(dir);
    if (!s && first) first = std::move(s);
  }
  return first;
}

Result<std::vector<pid_t>> recorded_pids(const nlohmann::json& paths) {
  if (!paths.is_object() || paths.empty()) return std::vector<pid_t>{};
  const nlohmann::json* dir = nullptr;
  for (const char* key : {"pids", "devices", ""}) {
    if (paths.contains(key) && plausible(paths[key])) {
      dir = &paths[key];
      break;
    }
  }
  if (dir == nullptr) {
    for (const auto& [controller, d] : paths.items()) {
      if (plausible(d)) {
        dir = &paths[controller];
        break;
      }
    }
  }
  if (dir == nullptr) return std::vector<pid_t>{};
  return CgroupFs(false).procs(dir->get<std::string>());
}

}  // namespace arca::cgroups
