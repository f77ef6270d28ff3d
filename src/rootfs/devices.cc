// create_devices: device nodes and the /dev symlinks, inside the rootfs only.
//
// The parent directory of each node is resolved in root, so a rootfs whose /dev is a
// symlink to the host's /dev (or anywhere else) gets its nodes inside the rootfs, never
// on the host.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs/internal.h"
#include "rootfs/resolve.h"
#include "rootfs/rootfs.h"

namespace arca::rootfs {
namespace {

// fchmodat2(2) (Linux 6.6) can chmod an O_PATH fd; not yet in our libc headers.
constexpr long kSysFchmodat2 = 452;

// Without CAP_MKNOD in the initial user namespace mknod fails with EPERM; as runc does,
// bind the host's node (same path) onto an empty file instead.
Status bind_host_node(int parent, const std::string& name, const plan::DeviceNode& node) {
  if (mknodat(parent, name.c_str(), S_IFREG | 0000, 0) < 0 && errno != EEXIST) {
    return Error::os("create mount point");
  }
  UniqueFd target(openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target.valid()) return Error::os("open mount point");
  ARCA_ASSIGN(UniqueFd mnt, clone_tree(AT_FDCWD, node.path, false));
  auto st = attach(mnt.get(), target.get());
  if (!st) return std::move(st).error().context("bind host node");
  return {};
}

Status make_node(int root, const plan::DeviceNode& node) {
  ARCA_ASSIGN(UniqueFd parent, make_in_root(root, parent_of(node.path), Leaf::kDirectory));
  std::string name = base_of(node.path);
  // umask 0 so the node gets exactly node.mode; this child is single-threaded.
  mode_t old_umask = umask(0);
  int rc = mknodat(parent.get(), name.c_str(), node.type | (node.mode & 07777),
                   makedev(node.major, node.minor));
  umask(old_umask);
  if (rc < 0 && errno == EEXIST) return {};  // Already provided (e.g. a bound /dev).
  if (rc < 0 && errno == EPERM) return bind_host_node(parent.get(), name, node);
  if (rc < 0) return Error::os("mknod");

  // chown/chmod through an O_NOFOLLOW fd of what we just made, so nothing swapped in
  // under that name can redirect them.
  UniqueFd fd(openat(parent.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open");
  if (fchownat(fd.get(), "", node.uid, node.gid, AT_EMPTY_PATH) < 0) return Error::os("chown");
  // chown clears setuid/setgid bits; restore the exact mode where the kernel lets us.
  if (syscall(kSysFchmodat2, fd.get(), "", node.mode & 07777, AT_EMPTY_PATH) < 0 &&
      errno != ENOSYS) {
    return Error::os("chmod");
  }
  return {};
}

// Symlinks every /dev has; only made when the config mounted /dev itself.
Status make_symlinks(int root) {
  ARCA_ASSIGN(UniqueFd dev, make_in_root(root, "/dev", Leaf::kDirectory));
  std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "fd"},
      {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"},
      {"/proc/self/fd/2", "stderr"},
  };
  for (auto [target, name] : links) {
    if (symlinkat(target, dev.get(), name) < 0 && errno != EEXIST) {
      return Error::os("symlink " + quote(std::string("/dev/") + name));
    }
  }
  if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev.get(), "core") < 0 &&
      errno != EEXIST) {
    return Error::os("symlink \"/dev/core\"");
  }
  // /dev/ptmx must be the ptmx of the container's own devpts instance, so it is a link
  // into pts/ (replacing any node), and only when a devpts is there to point at.
  struct stat st = {};
  if (fstatat(dev.get(), "pts", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    if (unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT) {
      return Error::os("remove \"/dev/ptmx\"");
    }
    if (symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) return Error::os("symlink \"/dev/ptmx\"");
  }
  return {};
}

}  // namespace

Status bind_file(int root, int source, const std::string& path) {
  ARCA_ASSIGN(UniqueFd target, make_in_root(root, path, Leaf::kFile));
  ARCA_ASSIGN(UniqueFd mnt, clone_tree(source, "", false));
  auto st = attach(mnt.get(), target.get());
  if (!st) return std::move(st).error().context("bind onto " + quote(path));
  return {};
}

Status create_devices(const plan::Launch& launch) {
  ARCA_ASSIGN(int root, root_fd(launch));
  for (const plan::DeviceNode& node : launch.devices) {
    auto st = make_node(root, node);
    if (!st) return std::move(st).error().context("mknod " + quote(node.path));
  }
  if (launch.dev_is_tmpfs) ARCA_TRY(make_symlinks(root));
  return {};
}

}  // namespace arca::rootfs
