// The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a transient
// scope unit that systemd creates over D-Bus (StartTransientUnit). Once the start job is
// done, arca asks systemd where it put the unit (GetUnit, then the Scope's ControlGroup)
// and uses <mount point> + ControlGroup in every hierarchy; the layout computed from
// `slice:prefix:name` only names the cgroup before that (in the record written before
// create(); docs/design/cgroups.md). Everything else (the hierarchies systemd leaves
// alone, the resources it does not know, placement, pids, freezing) goes through the
// wrapped cgroupfs manager at that path, as runc does.
//
// Like `systemd-run --scope`, arca starts the scope with itself as its one process (a
// scope cannot start empty), forks the init there, then moves itself back to its own
// cgroups (release_caller()), so that the init is in the scope before it runs anything.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "cgroups/manager.h"

namespace arca::cgroups {

// The cgroupfs backend for another path: how the driver rebuilds `inner` at the unit's
// ControlGroup (a kAbsolute path) once systemd made it.
using CgroupfsFactory = std::function<std::unique_ptr<Manager>(const CgroupsPath&)>;

// Wraps `inner` (the cgroupfs backend for `path`, a kSystemd path). `resources` (may be
// null) must outlive the manager; they become unit properties at create().
Result<std::unique_ptr<Manager>> make_systemd_manager(const HostCgroups& host,
                                                      const CgroupsPath& path,
                                                      std::unique_ptr<Manager> inner,
                                                      CgroupfsFactory at,
                                                      const Resources* resources);

// StopUnit(unit, "replace") and waits for the job; a unit systemd does not know is fine.
// For `delete`, which has only the unit name from state.json.
Status stop_systemd_unit(const std::string& unit);

}  // namespace arca::cgroups
