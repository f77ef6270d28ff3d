// The container's cgroup: one interface, a cgroup v1 backend (also used on hybrid hosts)
// and a cgroup v2 backend.
//
// Typical use by the runtime:
//   ARCA_ASSIGN(auto cg, cgroups::open_manager(config.linux.cgroups_path, id, systemd));
//   ARCA_ASSIGN(auto res, cgroups::parse_resources(*config.linux.resources));
//   ARCA_TRY(cg->create());
//   ARCA_TRY(cg->apply(res));
//   ARCA_ASSIGN(auto placement, cg->open_placement());  // the new child joins itself
//   ARCA_TRY(cg->add_process(pid));                     // or: move a running process
//   ...
//   ARCA_TRY(cg->destroy());         // at delete, once the processes are gone
// Nothing here kills processes; destroy() fails while the cgroup is still populated.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "cgroups/paths.h"
#include "cgroups/resources.h"

namespace arca::cgroups {

// How a child arca is about to fork joins the cgroup by itself. A write of another
// process's pid to cgroup.procs takes the kernel's global threadgroup lock, whose first
// use in a while waits for an RCU grace period: 10-20 ms of wall time per container
// start on a busy host. Instead:
//  - each v1 hierarchy: an fd of its `tasks` file, opened by arca; the child writes "0"
//    (itself, one thread), which the kernel does without that lock;
//  - cgroup2 (v2, and the unified hierarchy of a hybrid host): the directory, for
//    clone3(CLONE_INTO_CGROUP), which places the child as it is created.
struct Placement {
  std::vector<UniqueFd> tasks;
  UniqueFd v2_dir;
};

// The child's half of Placement: writes "0" to each fd and closes it.
Status join_by_tasks_fds(const int* fds, size_t count);

class Manager {
 public:
  virtual ~Manager() = default;

  virtual Mode mode() const = 0;
  // Creates the cgroup (and missing parents) in every hierarchy; idempotent. On v2, enables
  // in cgroup.subtree_control along the path the controllers that cgroup.controllers
  // offers; on v1 a new cpuset cgroup inherits its parent's cpus and mems.
  virtual Status create() = 0;
  // Writes the resources (v1_writes / v2_writes). Fails on the first write that fails,
  // naming the file; a controller that is not mounted / not enabled is an error.
  virtual Status apply(const Resources& resources) = 0;
  // Moves `pid` (a whole process) into the cgroup in every hierarchy.
  virtual Status add_process(pid_t pid) = 0;
  // Removes the cgroup and its sub-cgroups, bottom-up, in every hierarchy. Kills nothing;
  // an already absent cgroup is fine.
  virtual Status destroy() = 0;
  // Every process in the cgroup or below it, sorted.
  virtual Result<std::vector<pid_t>> pids() = 0;
  // Freezes (true) or thaws (false) and waits until the kernel reports it done.
  virtual Status freeze(bool frozen) = 0;
  // The container's cgroup path relative to the hierarchy root, as /proc/<pid>/cgroup
  // shows it: the v2 path, or on v1 the path in the first hierarchy (they differ only when
  // the caller's own cgroups differ between hierarchies and the path is relative).
  virtual std::string path_for_ns() const = 0;
  // Directory of the container's cgroup per controller ("memory" ->
  // "/sys/fs/cgroup/memory/x"); "" is the cgroup2 directory (v2, and hybrid's unified).
  virtual std::map<std::string, std::string> paths() const = 0;
  // An O_RDONLY|O_DIRECTORY fd of the cgroup2 directory, for clone3(CLONE_INTO_CGROUP).
  // Fails on v1 and hybrid hosts, where the process must be added with add_process().
  virtual Result<UniqueFd> open_v2_dir() const = 0;
  // See Placement. After create().
  virtual Result<Placement> open_placement() const = 0;
  // The systemd unit holding the cgroup (systemd driver), else "".
  virtual std::string unit() const { return ""; }
  // Called once the init is forked: the systemd driver moves arca itself out of the unit
  // it started with itself inside (see systemd_manager.h). A no-op elsewhere.
  virtual Status release_caller() { return {}; }
};

struct ManagerOptions {
  // Prepended to every mount point: "" on a real host, a temp dir in tests.
  std::string root_prefix;
  // root_prefix holds plain files imitating cgroupfs (see fs.h); never for real cgroups.
  bool imitation = false;
};

// The manager for this host: reads /proc/self/cgroup and /proc/self/mountinfo, and
// /proc/1/comm for the systemd check. `cgroups_path` is linux.cgroupsPath ("" = absent:
// the id below the caller's own cgroup). `systemd` is --systemd-cgroup (systemd_manager.h),
// which turns `resources` (may be null; must outlive the manager) into unit properties.
Result<std::unique_ptr<Manager>> open_manager(const std::string& cgroups_path,
                                              const std::string& id, bool systemd,
                                              const Resources* resources = nullptr);

// The manager for a given host description and path (what open_manager() builds on).
Result<std::unique_ptr<Manager>> make_manager(const HostCgroups& host, const CgroupsPath& path,
                                              const ManagerOptions& options = {},
                                              const Resources* resources = nullptr);

// The backends, for make_manager() and tests.
std::unique_ptr<Manager> make_v1_manager(const HostCgroups& host, const CgroupsPath& path,
                                         const ManagerOptions& options);
std::unique_ptr<Manager> make_v2_manager(const HostCgroups& host, const CgroupsPath& path,
                                         const ManagerOptions& options);

}  // namespace arca::cgroups
