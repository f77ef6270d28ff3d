// The config.json written by `arca spec`: the same starting point `runc spec` gives, so
// existing tutorials and scripts work unchanged, but declaring runtime-spec 1.2.0.
#pragma once

#include <nlohmann/json.hpp>

namespace arca::spec {

// The default config. `rootless` adapts it for an unprivileged user, as
// `runc spec --rootless` does: a new user namespace mapping root to the caller's
// effective uid/gid, no network namespace (an unprivileged user cannot wire one up),
// /sys bound from the host instead of a fresh sysfs, no gid= on devpts and no cgroup
// resources.
nlohmann::json default_config_json(bool rootless);

}  // namespace arca::spec
