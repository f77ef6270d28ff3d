// finish_root: the last root filesystem steps, after enter_root, with container paths.
//
// Order matters: masked and read-only paths are mounted first, because once "/" is
// read-only no mount point for them could be created anymore (and propagation must be
// settled before the root is locked down).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "rootfs/internal.h"
#include "rootfs/resolve.h"
#include "rootfs/rootfs.h"
#include "security/confinement.h"
#include "security/lsm.h"

namespace arca::rootfs {
namespace {

// Opens a container path for mounting over. Symlinks are followed, but resolved in the
// (now container) root: masking "/proc/kcore" must cover what a process opening that
// name would reach. A missing path is not an error for masked/read-only lists.
Result<UniqueFd> open_existing(int root, const std::string& path) {
  auto fd = open_in_root(root, path, O_PATH);
  if (!fd.ok() && fd.error().code() == ENOENT) return UniqueFd();
  return fd;
}

Status mask(int root, const std::string& path, const std::string& label) {
  ARCA_ASSIGN(UniqueFd target, open_existing(root, path));
  if (!target.valid()) return {};
  struct stat st = {};
  if (fstat(target.get(), &st) < 0) return Error::os("stat");
  UniqueFd mnt;
  if (S_ISDIR(st.st_mode)) {
    // An empty read-only tmpfs hides the directory's contents.
    ARCA_ASSIGN(mnt,
                new_fs_mount("tmpfs", "tmpfs", security::with_mount_label("", label), MS_RDONLY));
  } else {
    // Reads give EOF, writes vanish; /dev/null was created by create_devices, or came
    // with the rootfs, so it is checked to be the null device before it is bound.
    ARCA_ASSIGN(UniqueFd null, open_in_root(root, "/dev/null", O_PATH));
    ARCA_TRY(security::check_is_dev_null(null.get()));
    ARCA_ASSIGN(mnt, clone_tree(null.get(), "", false));
  }
  return attach(mnt.get(), target.get());
}

Status make_readonly(int root, const std::string& path) {
  ARCA_ASSIGN(UniqueFd target, open_existing(root, path));
  if (!target.valid()) return {};
  // A recursive bind of the path onto itself, made read-only before it is attached:
  // mount_setattr changes only the bit asked for, so flags the mount is locked with in a
  // user namespace (nosuid, nodev, ...) are kept without reading them back via statfs.
  // As with runc, only the top mount turns read-only.
  ARCA_ASSIGN(UniqueFd mnt, clone_tree(target.get(), "", true));
  ARCA_TRY(set_attrs(mnt.get(), {MOUNT_ATTR_RDONLY, 0}, false));
  return attach(mnt.get(), target.get());
}

}  // namespace

Status finish_root(const plan::Launch& launch) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Error::os("open \"/\"");
  // Read-only paths first, masks last (as runc): a recursive read-only bind of a
  // parent directory made after a mask would copy the mask into a second, stacked
  // mount; masking last keeps exactly one mask on top.
  for (const std::string& path : launch.readonly_paths) {
    auto st = make_readonly(root.get(), path);
    if (!st) return std::move(st).error().context("make " + quote(path) + " read-only");
  }
  for (const std::string& path : launch.masked_paths) {
    auto st = mask(root.get(), path, launch.mount_label);
    if (!st) return std::move(st).error().context("mask " + quote(path));
  }
  if (launch.rootfs_propagation != 0 &&
      mount(nullptr, "/", nullptr, launch.rootfs_propagation, nullptr) < 0) {
    return Error::os("set rootfs propagation");
  }
  if (launch.rootfs_readonly) {
    auto st = set_attrs(root.get(), {MOUNT_ATTR_RDONLY, 0}, false);
    if (!st) return std::move(st).error().context("make \"/\" read-only");
  }
  return {};
}

}  // namespace arca::rootfs
