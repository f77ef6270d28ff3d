// config.json as `create` read it, kept in the container's state dir for `exec`.
//
// runc and crun exec from the configuration they stored at create, not from the bundle:
// the bundle may have been edited, moved or removed since, and the container's processes
// must keep the container's settings (capabilities, seccomp, rlimits, user, env). arca
// keeps the exact bytes create parsed, written before state.json says "created".
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace arca::process {

// Writes <state dir>/config.json (mode 0600; the state dir is private to the caller).
Status save_config_copy(int state_dir_fd, std::string_view text);

// Reads it back; ENOENT for a container created before arca kept the copy.
Result<std::string> load_config_copy(const std::string& state_dir);

}  // namespace arca::process
