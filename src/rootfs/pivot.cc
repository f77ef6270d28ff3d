// enter_root: switch the process root to the prepared rootfs.
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootfs/internal.h"
#include "rootfs/rootfs.h"

namespace arca::rootfs {
namespace {

// pivot_root(".", ".") stacks the old root on top of the new one at ".", so no put_old
// directory has to exist (or be created) inside the rootfs.
Status pivot() {
  if (syscall(SYS_pivot_root, ".", ".") < 0) return Error::os("pivot_root");
  // The old root may still be shared with the host's mounts (e.g. rootfs propagation
  // "shared"); without this the detach below would unmount the host's tree everywhere.
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
    return Error::os("make old root rslave");
  }
  if (umount2(".", MNT_DETACH) < 0) return Error::os("detach old root");
  return {};
}

// For roots pivot_root cannot leave, e.g. an initramfs: move the rootfs over "/" and
// chroot. The old root stays reachable, which is why this is opt-in.
Status move_root() {
  if (mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) return Error::os("move rootfs to \"/\"");
  if (chroot(".") < 0) return Error::os("chroot");
  return {};
}

}  // namespace

Status enter_root(const plan::Launch& launch, bool no_pivot) {
  ARCA_ASSIGN(int root, root_fd(launch));
  if (fchdir(root) < 0) return Error::os("chdir to rootfs " + quote(launch.rootfs));
  ARCA_TRY(no_pivot ? move_root() : pivot());
  if (chdir("/") < 0) return Error::os("chdir \"/\"");
  return {};
}

}  // namespace arca::rootfs
