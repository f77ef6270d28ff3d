// Child-side checks that keep the container's process inside its root.
#pragma once

#include <string>

#include "base/error.h"

namespace arca::security {

// chdir to `path` of the container (after pivot_root), creating it first when missing and
// `create` is set (runc does; images rely on it). CVE-2024-21626: runc leaked a host
// directory fd into its init and `cwd: /proc/self/fd/N` started the container in a host
// directory, from where ".." walks the host. Here the path is resolved in the root with
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so no /proc/<pid>/fd link is followed
// and missing directories are created inside the root only; then the kernel is asked
// whether the new cwd is reachable from the root at all (getcwd fails with ENOENT when it
// is not), which catches any other way of landing outside.
Status enter_directory(const std::string& path, bool create);

// Fails unless the working directory is beneath the process's root.
Status check_cwd_inside_root();

// Fails unless `fd` is the character device 1:3. Masking binds /dev/null over a path; a
// rootfs whose /dev/null is something else (a symlink to a procfs file, a regular file)
// would bind that instead (CVE-2025-31133 class).
Status check_is_dev_null(int fd);

}  // namespace arca::security
