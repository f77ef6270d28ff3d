// Path resolution confined to the container's root (CVE-2021-30465 class).
//
// Every destination from config.json is container-absolute and may cross symlinks or "..".
// Resolving it with plain path strings before pivot_root would follow a planted symlink
// such as rootfs/evil -> /etc onto the host. Here every lookup goes through openat2(2)
// with RESOLVE_IN_ROOT, so "/" and ".." are clamped at the root fd, and callers mount
// onto the returned fd rather than re-resolving a string later (no check-then-use race).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::rootfs {

// What to create for a missing final component.
enum class Leaf { kDirectory, kFile };

// openat2(root, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
// `path` is container-absolute or relative to root; errors name the path.
Result<UniqueFd> open_in_root(int root, const std::string& path, int flags);

// Opens `path` inside root with O_PATH, creating missing components inside the root
// first: directories (mode 0755) for the intermediate ones, `leaf` for the last.
Result<UniqueFd> make_in_root(int root, const std::string& path, Leaf leaf);

// Splits "/a//b/./c/" into {"a", "b", "c"}; ".." is kept (the kernel resolves it in root).
std::vector<std::string> split_path(const std::string& path);

// Parent ("/a/b" for "/a/b/c", "/" for "/c") and last component ("c") of a path.
std::string parent_of(const std::string& path);
std::string base_of(const std::string& path);

// Fails unless fd is on a procfs (fstatfs f_type == PROC_SUPER_MAGIC): a container could
// otherwise bind something else over /proc and have us write host-affecting values into
// it (CVE-2019-16884 class). For the process code before writing under /proc.
Status check_is_procfs(int fd);

}  // namespace arca::rootfs
