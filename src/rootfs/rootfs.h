// Child-side root filesystem setup. Runs in the container's new mount namespace, in this
// order (see docs/design/process-model.md):
//   prepare_root -> mount_all -> create_devices -> enter_root -> finish_root
// Every destination is resolved inside the rootfs without following a symlink out of it,
// and mounted through an fd, so a hostile rootfs cannot redirect a mount onto the host.
#pragma once

#include <string>

#include "base/error.h"
#include "plan/launch.h"

namespace arca::rootfs {

// Makes the mount tree private/slave as configured and binds the rootfs onto itself so
// it is a mount point (pivot_root needs one).
Status prepare_root(const plan::Launch& launch);
// Every entry of launch.mounts, in order: missing mount points are created inside the
// rootfs (directories, or files when the source is a file).
Status mount_all(const plan::Launch& launch);
// launch.devices (mknod, or bind from the host when mknod is not permitted, as in a user
// namespace), plus /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx -> pts/ptmx.
Status create_devices(const plan::Launch& launch);
// Binds the file `source` refers to (any fd: a pty slave for /dev/console) onto `path`
// resolved inside `root`; a missing mount point is created as an empty regular file.
Status bind_file(int root, int source, const std::string& path);
// pivot_root into the rootfs and detach the old root; with no_pivot, MS_MOVE + chroot.
Status enter_root(const plan::Launch& launch, bool no_pivot);
// After entering: masked paths, readonly paths, rootfsPropagation, root.readonly.
Status finish_root(const plan::Launch& launch);

}  // namespace arca::rootfs
