#include "cgroups/recorded.h"

#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
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

// The freezer to use: v1's freezer hierarchy, else the cgroup2 directory (v2 hosts).
struct Freezer {
  std::string dir;
  bool v2 = false;
};

std::optional<Freezer> find_freezer(const nlohmann::json& paths) {
  if (!paths.is_object()) return std::nullopt;
  if (paths.contains("freezer") && plausible(paths["freezer"])) {
    return Freezer{paths["freezer"].get<std::string>(), false};
  }
  // On hybrid hosts "" is the controller-less cgroup2 tree, whose cgroup.freeze works too,
  // but a v1 freezer is preferred above so that v1 tools agree with `state`.
  if (paths.contains("") && plausible(paths[""]))
    return Freezer{paths[""].get<std::string>(), true};
  return std::nullopt;
}

bool is_frozen(const CgroupFs& fs, const Freezer& f) {
  if (f.v2) {
    auto events = fs.read(f.dir, "cgroup.events");
    return events && events->find("frozen 1") != std::string::npos;
  }
  auto state = fs.read(f.dir, "freezer.state");
  return state && trim(*state) == "FROZEN";
}

}  // namespace

Status freeze_recorded(const nlohmann::json& paths, bool frozen) {
  auto freezer = find_freezer(paths);
  if (!freezer) return Error::invalid("the container has no freezer cgroup");
  CgroupFs fs(false);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    // Writing again nudges a v1 freezer stuck in FREEZING.
    if (attempt % 10 == 0) {
      ARCA_TRY(freezer->v2 ? fs.write(freezer->dir, "cgroup.freeze", frozen ? "1" : "0")
                           : fs.write(freezer->dir, "freezer.state", frozen ? "FROZEN" : "THAWED"));
    }
    if (is_frozen(fs, *freezer) == frozen) return {};
    usleep(1000);
  }
  return Error(EBUSY, std::string(frozen ? "freeze " : "thaw ") + quote(freezer->dir));
}

bool recorded_frozen(const nlohmann::json& paths) {
  auto freezer = find_freezer(paths);
  return freezer && is_frozen(CgroupFs(false), *freezer);
}

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
