// Where cgroups live on this host, and where the container's cgroup goes. All pure: the
// texts of /proc/self/cgroup and /proc/self/mountinfo are passed in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace arca::cgroups {

enum class Mode {
  kV1,      // only cgroup v1 hierarchies
  kV2,      // cgroup2 mounted at /sys/fs/cgroup (unified)
  kHybrid,  // v1 controllers plus a controller-less cgroup2 (usually /sys/fs/cgroup/unified)
};
const char* mode_name(Mode mode);

// One line of /proc/self/cgroup: "4:memory:/a/b", "1:name=systemd:/", "0::/".
struct ProcCgroup {
  int id = 0;
  std::vector<std::string> controllers;  // empty for cgroup2; "name=systemd" kept as is
  std::string path;
};
Result<std::vector<ProcCgroup>> parse_proc_cgroup(const std::string& text);

// A cgroup or cgroup2 line of /proc/self/mountinfo (escapes like \040 decoded).
struct CgroupMount {
  std::string root;                  // field 4: the cgroup mounted, "/" usually
  std::string mount_point;           // field 5
  bool v2 = false;                   // fstype cgroup2
  std::vector<std::string> options;  // super options: "rw", "memory", "name=systemd", ...
};
Result<std::vector<CgroupMount>> parse_cgroup_mounts(const std::string& mountinfo);

// One hierarchy the caller belongs to.
struct Hierarchy {
  std::vector<std::string> controllers;  // empty for cgroup2
  std::string mount_point;               // "/sys/fs/cgroup/memory"
  // The caller's cgroup relative to mount_point (the mount root stripped), "/" or
  // "/process_api/87ab".
  std::string own_path;
  bool v2 = false;
  bool has(const std::string& controller) const;
};

struct HostCgroups {
  Mode mode = Mode::kV2;
  std::vector<Hierarchy> v1;         // in /proc/self/cgroup order
  std::optional<Hierarchy> unified;  // the cgroup2 hierarchy, when mounted
  // The v1 hierarchy holding `controller`, or nullptr.
  const Hierarchy* find(const std::string& controller) const;
};
Result<HostCgroups> host_cgroups(const std::string& proc_cgroup, const std::string& mountinfo);

// linux.cgroupsPath, decided.
struct CgroupsPath {
  enum class Kind { kAbsolute, kRelative, kSystemd };
  Kind kind = Kind::kRelative;
  std::string path;  // kAbsolute: "/foo/bar"; kRelative: "foo/bar" or the id when absent
  // kSystemd: "slice:prefix:name"; slice "" means the default, "system.slice".
  std::string slice, prefix, name;
};
// `systemd` is --systemd-cgroup; `systemd_running` whether systemd is PID 1.
Result<CgroupsPath> parse_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                       bool systemd, bool systemd_running);

// The container's cgroup in one hierarchy, relative to its mount point ("/a/b/id"):
// absolute paths as given, relative ones below the caller's own cgroup there.
// kSystemd resolves to systemd's layout (systemd_unit_path) from the hierarchy root.
std::string resolve(const CgroupsPath& path, const Hierarchy& hierarchy);

// systemd's cgroup path for a slice and unit: ("a-b.slice", "x.scope") ->
// "/a.slice/a-b.slice/x.scope". Fails on a malformed slice name.
Result<std::string> systemd_unit_path(const std::string& slice, const std::string& unit);

// "/" + the '/'-joined non-empty components of `a` and `b`.
std::string join_path(const std::string& a, const std::string& b);

}  // namespace arca::cgroups
