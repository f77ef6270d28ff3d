// prepare_root and mount_all: the mount tree of the container, before pivot_root.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/text.h"
#include "linux/syscalls.h"
#include "rootfs/internal.h"
#include "rootfs/resolve.h"
#include "rootfs/rootfs.h"
#include "security/lsm.h"

namespace arca::rootfs {
namespace {

// Mount points in /proc/self/mountinfo are octal-escaped ("\040" for a space).
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool path_has_prefix(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return true;
  return path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}

// pivot_root refuses (EINVAL) when the parent mount of the new root is shared, and a
// bind of the rootfs out of a shared mount would propagate to the host's peers. With a
// shared rootfs propagation requested, the mount holding the rootfs is made private
// first, so the self-bind made next is private too.
Status make_parent_private(const std::string& rootfs) {
  char real[PATH_MAX];
  if (realpath(rootfs.c_str(), real) == nullptr) return Error::os("realpath " + quote(rootfs));
  ARCA_ASSIGN(std::string mountinfo, linux_sys::read_file("/proc/self/mountinfo"));
  std::string best = "/";
  for (const std::string& line : text::lines(mountinfo)) {
    auto fields = text::words(line);
    if (fields.size() < 5) continue;
    std::string mount_point = unescape_mountinfo(fields[4]);
    if (path_has_prefix(real, mount_point) && mount_point.size() > best.size()) {
      best = mount_point;
    }
  }
  if (mount(nullptr, best.c_str(), nullptr, MS_PRIVATE, nullptr) < 0) {
    return Error::os("make " + quote(best) + " private");
  }
  return {};
}

std::string describe(const plan::MountStep& step) {
  if (!step.bind) return "mount " + quote(step.fstype) + " on " + quote(step.destination);
  std::string opts = (step.flags & MS_REC) ? "rbind" : "bind";
  if (step.recursive_readonly) opts += ", rro";
  const std::pair<unsigned long, const char*> names[] = {
      {MS_RDONLY, "ro"}, {MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"}, {MS_NOEXEC, "noexec"}};
  for (auto [flag, name] : names) {
    if (step.flags & flag) opts += std::string(", ") + name;
  }
  return "mount " + quote(step.source) + " on " + quote(step.destination) + " (" + opts + ")";
}

Result<UniqueFd> bind_mount(const plan::MountStep& step) {
  ARCA_ASSIGN(UniqueFd mnt, clone_tree(AT_FDCWD, step.source, step.flags & MS_REC));
  // The kernel ignores ro/nosuid/... on the initial MS_BIND; here they are set on the
  // detached clone before it becomes visible. "ro" covers the top mount only (as with
  // mount(2)); "rro" makes every submount read-only as well.
  if (step.recursive_readonly) ARCA_TRY(set_attrs(mnt.get(), {MOUNT_ATTR_RDONLY, 0}, true));
  MountAttrs attrs = mount_attrs(step.flags, step.clear_flags);
  auto st = set_attrs(mnt.get(), attrs, false);
  if (!st && st.error().code() == EPERM && (attrs.clear & ~MOUNT_ATTR__ATIME)) {
    // In a user namespace the flags a source mount came with (nosuid, nodev, ro, ...)
    // are locked and clearing them is EPERM; "rw"/"suid"/... then mean "do not add",
    // which is also how runc treats them (it re-applies the locked flags).
    attrs.clear &= MOUNT_ATTR__ATIME;
    st = set_attrs(mnt.get(), attrs, false);
  }
  if (!st) return std::move(st).error();
  return mnt;
}

Result<UniqueFd> fs_mount(const plan::MountStep& step, const plan::Launch& launch) {
  auto mnt = new_fs_mount(step.fstype, step.source,
                          security::with_mount_label(step.data, step.label), step.flags);
  // As runc: older kernels cannot label an mqueue, which then goes without.
  if (!mnt.ok() && !step.label.empty() && step.fstype == "mqueue") {
    mnt = new_fs_mount(step.fstype, step.source, step.data, step.flags);
  }
  // In a user namespace without its own network (ipc) namespace the kernel will not
  // give us a sysfs (mqueue); the host's, bound read-only as configured, is what runc
  // and crun fall back to as well.
  bool fallback = !mnt.ok() && mnt.error().code() == EPERM && launch.new_user_ns &&
                  (step.fstype == "sysfs" || step.fstype == "mqueue");
  if (!fallback) return mnt;
  ARCA_ASSIGN(UniqueFd host,
              clone_tree(AT_FDCWD, step.fstype == "sysfs" ? "/sys" : "/dev/mqueue", true));
  ARCA_TRY(set_attrs(host.get(), mount_attrs(step.flags, step.clear_flags), false));
  return host;
}

Status mount_one(int root, const plan::MountStep& step, const plan::Launch& launch) {
  Leaf leaf = Leaf::kDirectory;
  if (step.bind) {
    struct stat st = {};
    if (stat(step.source.c_str(), &st) < 0) return Error::os("stat source");
    if (!S_ISDIR(st.st_mode)) leaf = Leaf::kFile;
  }
  ARCA_ASSIGN(UniqueFd target, make_in_root(root, step.destination, leaf));
  if (step.fstype == "cgroup" && !step.bind) {
    bool cgroupns = launch.clone_flags & CLONE_NEWCGROUP;
    for (const auto& join : launch.joins) cgroupns |= join.clone_flag == CLONE_NEWCGROUP;
    return mount_cgroup(step, target.get(), cgroupns);
  }
  UniqueFd mnt;
  if (step.bind) {
    ARCA_ASSIGN(mnt, bind_mount(step));
  } else {
    ARCA_ASSIGN(mnt, fs_mount(step, launch));
  }
  if (step.tmpcopyup) {
    ARCA_ASSIGN(UniqueFd from, open_in_root(root, step.destination, O_RDONLY | O_DIRECTORY));
    auto copied = copy_tree(from.get(), mnt.get());
    if (!copied) return std::move(copied).error().context("tmpcopyup");
  }
  ARCA_TRY(attach(mnt.get(), target.get()));
  for (unsigned long flag : step.propagation) ARCA_TRY(set_propagation(mnt.get(), flag));
  return {};
}

// `arca shell`'s copy-on-write root (plan::Launch::rootfs_overlay), mounted in the
// container's own mount namespace: the kernel drops it when the container is gone.
Status mount_overlay_root(const plan::Launch& launch) {
  const auto& o = *launch.rootfs_overlay;
  // volatile: no syncs of the upper file system (a whole-disk sync on every exit); the
  // upper layer is thrown away anyway.
  std::string data =
      "lowerdir=" + o.lower + ",upperdir=" + o.upper + ",workdir=" + o.work + ",volatile";
  if (mount("overlay", launch.rootfs.c_str(), "overlay", 0, data.c_str()) < 0) {
    return Error::os("mount overlay (lower " + quote(o.lower) + ") on " + quote(launch.rootfs));
  }
  return {};
}

}  // namespace

Status prepare_root(const plan::Launch& launch) {
  // Slave by default: host mount events still reach the container, nothing made in
  // here reaches the host. A requested non-shared type is applied recursively (a bare
  // "private" on "/" alone would leave the submounts shared with the host).
  unsigned long prop = MS_SLAVE | MS_REC;
  bool shared = launch.rootfs_propagation & MS_SHARED;
  if (launch.rootfs_propagation != 0) {
    prop = shared ? launch.rootfs_propagation : launch.rootfs_propagation | MS_REC;
  }
  if (mount(nullptr, "/", nullptr, prop, nullptr) < 0) {
    return Error::os("set propagation of \"/\"");
  }
  if (shared) ARCA_TRY(make_parent_private(launch.rootfs));
  // pivot_root needs the new root to be a mount point; the recursive self-bind also
  // gives later steps a mount whose root fd they can hold.
  if (launch.rootfs_overlay) {
    ARCA_TRY(mount_overlay_root(launch));
  } else if (mount(launch.rootfs.c_str(), launch.rootfs.c_str(), nullptr, MS_BIND | MS_REC,
                   nullptr) < 0) {
    return Error::os("bind rootfs " + quote(launch.rootfs) + " onto itself");
  }
  // Opened after the bind so the fd refers to the new mount, not the directory under it.
  UniqueFd fd(open(launch.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open rootfs " + quote(launch.rootfs));
  set_root_fd(std::move(fd));
  return {};
}

Status mount_all(const plan::Launch& launch) {
  ARCA_ASSIGN(int root, root_fd(launch));
  for (const plan::MountStep& step : launch.mounts) {
    auto st = mount_one(root, step, launch);
    if (!st) return std::move(st).error().context(describe(step));
  }
  return {};
}

}  // namespace arca::rootfs
