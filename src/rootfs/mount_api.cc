#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "rootfs/internal.h"

namespace arca::rootfs {
namespace {

UniqueFd& root_storage() {
  static UniqueFd fd;
  return fd;
}

// Splits "a=1,b,context=\"x,y\"" at commas outside double quotes.
std::vector<std::string> split_options(const std::string& data) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : data) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// The kernel queues human-readable parameter errors on the fs context fd
// ("e tmpfs: Bad value for 'size'"); they say far more than EINVAL.
std::string drain_log(int fsfd) {
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = read(fsfd, buf, sizeof(buf) - 1);
    if (n <= 0) break;
    std::string line(buf, static_cast<size_t>(n));
    if (line.size() > 2 && line[1] == ' ') line = line.substr(2);
    // Kernel log lines end in a newline; errors are one line.
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    out += (out.empty() ? "" : "; ") + line;
  }
  return out;
}

Error fs_error(int fsfd, const std::string& what) {
  int err = errno;
  std::string log = drain_log(fsfd);
  return Error(err, log.empty() ? what : what + ": " + log);
}

Status fs_set(int fsfd, const std::string& option) {
  size_t eq = option.find('=');
  std::string value = eq == std::string::npos ? "" : option.substr(eq + 1);
  // mount(2) data quotes values with commas (context="s0:c1,c2"); fsconfig takes the
  // value as it is, without the quotes.
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  int rc = eq == std::string::npos ? fsconfig(fsfd, FSCONFIG_SET_FLAG, option.c_str(), nullptr, 0)
                                   : fsconfig(fsfd, FSCONFIG_SET_STRING,
                                              option.substr(0, eq).c_str(), value.c_str(), 0);
  if (rc < 0) return fs_error(fsfd, "fsconfig " + quote(option));
  return {};
}

}  // namespace

Result<int> root_fd(const plan::Launch& launch) {
  UniqueFd& fd = root_storage();
  if (!fd.valid()) {
    int raw = open(launch.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (raw < 0) return Error::os("open rootfs " + quote(launch.rootfs));
    fd.reset(raw);
  }
  return fd.get();
}

void set_root_fd(UniqueFd fd) { root_storage() = std::move(fd); }

MountAttrs mount_attrs(unsigned long flags, unsigned long clear_flags) {
  MountAttrs a;
  const std::pair<unsigned long, uint64_t> bits[] = {
      {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
      {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
      {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
  };
  for (auto [ms, attr] : bits) {
    if (flags & ms) a.set |= attr;
    if (clear_flags & ms) a.clear |= attr;
  }
  // Access-time handling is an enum inside MOUNT_ATTR__ATIME, not a set of bits: to
  // change it the whole field is cleared and one value set (relatime is 0).
  constexpr unsigned long kAtime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
  if ((flags | clear_flags) & kAtime) {
    a.clear |= MOUNT_ATTR__ATIME;
    if (flags & MS_NOATIME) {
      a.set |= MOUNT_ATTR_NOATIME;
    } else if (flags & MS_STRICTATIME) {
      a.set |= MOUNT_ATTR_STRICTATIME;
    }
  }
  return a;
}

Result<UniqueFd> new_fs_mount(const std::string& fstype, const std::string& source,
                              const std::string& data, unsigned long flags) {
  UniqueFd fsfd(fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
  if (!fsfd.valid()) return Error::os("fsopen " + quote(fstype));
  if (!source.empty()) {
    if (fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) < 0) {
      return fs_error(fsfd.get(), "fsconfig source " + quote(source));
    }
  }
  // Superblock flags that mount(2) took as MS_* are plain parameters here.
  // "ro" goes to the superblock too, as mount(2) does with MS_RDONLY (runc's masked
  // tmpfs and read-only sysfs show "ro" in their super options).
  const std::pair<unsigned long, const char*> sb_flags[] = {{MS_RDONLY, "ro"},
                                                            {MS_SYNCHRONOUS, "sync"},
                                                            {MS_DIRSYNC, "dirsync"},
                                                            {MS_LAZYTIME, "lazytime"},
                                                            {MS_MANDLOCK, "mand"}};
  for (auto [ms, name] : sb_flags) {
    if (flags & ms) ARCA_TRY(fs_set(fsfd.get(), name));
  }
  for (const std::string& option : split_options(data)) ARCA_TRY(fs_set(fsfd.get(), option));
  if (fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    return fs_error(fsfd.get(), "create superblock");
  }
  // fsmount takes the atime value itself, without the clear mask.
  unsigned int attrs = static_cast<unsigned int>(mount_attrs(flags, 0).set);
  UniqueFd mnt(fsmount(fsfd.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt.valid()) return fs_error(fsfd.get(), "fsmount");
  return mnt;
}

Result<UniqueFd> clone_tree(int dirfd, const std::string& path, bool recursive) {
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  if (path.empty()) flags |= AT_EMPTY_PATH;
  UniqueFd fd(open_tree(dirfd, path.c_str(), flags));
  if (!fd.valid()) return Error::os("open_tree " + quote(path));
  return fd;
}

Status set_attrs(int mnt, const MountAttrs& attrs, bool recursive) {
  if (attrs.set == 0 && attrs.clear == 0) return {};
  struct mount_attr attr = {};
  attr.attr_set = attrs.set;
  attr.attr_clr = attrs.clear;
  unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (mount_setattr(mnt, "", flags, &attr, sizeof(attr)) < 0) return Error::os("mount_setattr");
  return {};
}

Status set_propagation(int mnt, unsigned long flag) {
  struct mount_attr attr = {};
  attr.propagation = flag & ~static_cast<unsigned long>(MS_REC);
  unsigned int flags = AT_EMPTY_PATH | ((flag & MS_REC) ? AT_RECURSIVE : 0);
  if (mount_setattr(mnt, "", flags, &attr, sizeof(attr)) < 0) {
    return Error::os("set propagation");
  }
  return {};
}

Status attach(int mnt, int target) {
  if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return Error::os("move_mount");
  }
  return {};
}

}  // namespace arca::rootfs
