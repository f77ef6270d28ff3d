// Shared pieces of the rootfs steps: the root fd they all work through, thin wrappers of
// the new mount API (fsopen/fsmount/open_tree/mount_setattr/move_mount), and copy-up.
//
// The new mount API is used throughout because it mounts onto an fd: a target resolved
// once with openat2(RESOLVE_IN_ROOT) cannot be swapped for a symlink before the mount
// happens, and no /proc/self/fd path is needed (the host /proc seen from a new pid
// namespace is not something to rely on).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "plan/launch.h"

namespace arca::rootfs {

// The O_PATH fd of the rootfs mount (after prepare_root binds it onto itself). These
// steps run in the single-threaded container child, so a process-wide value is enough.
// If prepare_root has not run, launch.rootfs is opened as is.
Result<int> root_fd(const plan::Launch& launch);
void set_root_fd(UniqueFd fd);

// MOUNT_ATTR_* to set and clear, from MS_* flags.
struct MountAttrs {
  uint64_t set = 0;
  uint64_t clear = 0;
};
MountAttrs mount_attrs(unsigned long flags, unsigned long clear_flags);

// A new, detached filesystem mount: fsopen + fsconfig("source", each data option,
// superblock flags) + create + fsmount with the per-mount attributes of `flags`. Kernel
// parameter errors (read back from the fs context) are part of the message.
Result<UniqueFd> new_fs_mount(const std::string& fstype, const std::string& source,
                              const std::string& data, unsigned long flags);
// A detached copy of the mount tree at dirfd/path (open_tree OPEN_TREE_CLONE); path ""
// means dirfd itself.
Result<UniqueFd> clone_tree(int dirfd, const std::string& path, bool recursive);
// mount_setattr on a mount fd.
Status set_attrs(int mnt, const MountAttrs& attrs, bool recursive);
// MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, optionally | MS_REC.
Status set_propagation(int mnt, unsigned long flag);
// move_mount of a detached (or attached) mount onto the object `target` refers to.
Status attach(int mnt, int target);

// Copies the contents of directory `from` into directory `to` (files, directories,
// symlinks, device nodes and fifos), keeping modes and owners. For tmpcopyup.
Status copy_tree(int from, int to);

// Mounts for fstype "cgroup" (see cgroup.cc for the v1/v2 choice).
Status mount_cgroup(const plan::MountStep& step, int target, bool cgroupns);

}  // namespace arca::rootfs
