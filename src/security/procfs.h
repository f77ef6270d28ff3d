// Writes into the container's procfs (sysctls, LSM exec labels), and nowhere else.
//
// The init writes these after pivot_root, through the /proc the config mounted. A hostile
// image or config can make that something else:
//  - CVE-2019-16884, CVE-2023-27561: a volume (tmpfs, bind of a directory) over /proc, so
//    "/proc/self/attr/exec" is a plain file and the AppArmor profile is silently never
//    applied;
//  - CVE-2025-52881 class: a mount over one procfs file or directory (/proc/self/attr,
//    /proc/sys/kernel/...) redirecting the write to a different file, possibly another
//    procfs file with host-wide effect.
// So /proc must be the root of a procfs mount (f_type PROC_SUPER_MAGIC, inode 1), opened
// without following a symlink, and every file is opened beneath it with openat2:
// RESOLVE_BENEATH (no "..", no absolute symlink), RESOLVE_NO_XDEV (no mount crossed, so
// no overmount is followed) and RESOLVE_NO_MAGICLINKS (no /proc/<pid>/fd style jump).
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::security {

// "/proc" of the calling process's root, verified as above.
Result<UniqueFd> open_procfs_root();

// Writes `value` to `relative` (e.g. "sys/kernel/shmmax", "thread-self/attr/exec") under
// the verified procfs root `proc`. Errors name the file.
Status write_proc_file(int proc, const std::string& relative, const std::string& value);

}  // namespace arca::security
