// The container's cgroups as create recorded them in state.json (Manager::paths(): the
// directory per controller, "" for cgroup2), for verbs that run without the config and
// from a cgroup other than create's, where a relative cgroupsPath would resolve elsewhere.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "base/error.h"

namespace arca::cgroups {

// Removes every recorded directory and its sub-cgroups (absent is fine). Kills nothing.
Status destroy_recorded(const nlohmann::json& paths);

// Every process in the recorded cgroup (pids hierarchy if recorded, else any), sorted.
Result<std::vector<pid_t>> recorded_pids(const nlohmann::json& paths);

// Freezes (v1 freezer.state, v2 cgroup.freeze) or thaws the recorded cgroup and waits
// until the kernel reports it done. Errors when neither a freezer nor cgroup2 is recorded.
Status freeze_recorded(const nlohmann::json& paths, bool frozen);
// True while the recorded cgroup is frozen (false when there is nothing to ask).
bool recorded_frozen(const nlohmann::json& paths);

}  // namespace arca::cgroups
