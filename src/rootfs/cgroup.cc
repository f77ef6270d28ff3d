// fstype "cgroup" in config.json: give the container a view of its own cgroup.
//
// On a cgroup v2 host that is cgroup2 (a fresh mount when the container has a cgroup
// namespace, whose root is the container's cgroup; otherwise a bind of the container's
// own directory). On a v1 or hybrid host it is a tmpfs holding one bind per hierarchy,
// each of the container's own directory in it, as runc lays it out.
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <map>
#include <set>

#include "base/text.h"
#include "linux/syscalls.h"
#include "rootfs/internal.h"
#include "security/lsm.h"

namespace arca::rootfs {
namespace {

constexpr const char kCgroupRoot[] = "/sys/fs/cgroup";

std::set<std::string> split_commas(const std::string& s) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string part = s.substr(start, end - start);
    if (part.rfind("name=", 0) == 0) part = part.substr(5);
    if (!part.empty()) out.insert(part);
    start = end + 1;
  }
  return out;
}

// /proc/self/cgroup: "4:cpu,cpuacct:/arca/c1", "1:name=systemd:/x", "0::/x" (v2, shown
// as the "unified" hierarchy on hybrid hosts). Keyed by the set of controller names.
std::map<std::set<std::string>, std::string> own_cgroups() {
  std::map<std::set<std::string>, std::string> out;
  auto own = linux_sys::read_file("/proc/self/cgroup");
  for (const std::string& line : text::lines(own ? *own : std::string())) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    auto key = controllers.empty() ? std::set<std::string>{"unified"} : split_commas(controllers);
    out[key] = line.substr(b + 1);
  }
  return out;
}

Status bind_hierarchy(const plan::MountStep& step, const std::string& source, int target) {
  ARCA_ASSIGN(UniqueFd mnt, clone_tree(AT_FDCWD, source, true));
  ARCA_TRY(set_attrs(mnt.get(), mount_attrs(step.flags, step.clear_flags), false));
  return attach(mnt.get(), target);
}

Status mount_v1(const plan::MountStep& step, int target) {
  // The tmpfs is made read-only only after the hierarchies are in place under it.
  ARCA_ASSIGN(UniqueFd tmpfs,
              new_fs_mount("tmpfs", "tmpfs", security::with_mount_label("mode=755", step.label),
                           step.flags & ~static_cast<unsigned long>(MS_RDONLY)));
  ARCA_TRY(attach(tmpfs.get(), target));
  auto own = own_cgroups();
  DIR* dir = opendir(kCgroupRoot);
  if (dir == nullptr) return Error::os(std::string("open ") + kCgroupRoot);
  Status result;
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string host = std::string(kCgroupRoot) + "/" + name;
    struct stat st = {};
    if (lstat(host.c_str(), &st) < 0) continue;
    if (S_ISLNK(st.st_mode)) {  // "cpu -> cpu,cpuacct" on co-mounted hierarchies
      char link[256];
      ssize_t n = readlink(host.c_str(), link, sizeof(link) - 1);
      if (n > 0) link[n] = '\0';
      if (n > 0 && symlinkat(link, tmpfs.get(), name.c_str()) < 0) {
        result = Error::os("symlink " + quote(name));
        break;
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode)) continue;
    auto it = own.find(split_commas(name));
    std::string source = host + (it == own.end() ? "" : it->second);
    UniqueFd sub;
    if (mkdirat(tmpfs.get(), name.c_str(), 0755) == 0) {
      sub.reset(openat(tmpfs.get(), name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    result = sub.valid() ? bind_hierarchy(step, source, sub.get())
                         : Status(Error::os("mkdir " + quote(name)));
    if (!result) {
      result = std::move(result).error().context(quote(source));
      break;
    }
  }
  closedir(dir);
  if (!result) return result;
  if (step.flags & MS_RDONLY) return set_attrs(tmpfs.get(), {MOUNT_ATTR_RDONLY, 0}, false);
  return {};
}

}  // namespace

Status mount_cgroup(const plan::MountStep& step, int target, bool cgroupns) {
  struct statfs st = {};
  if (statfs(kCgroupRoot, &st) < 0) return Error::os(std::string("statfs ") + kCgroupRoot);
  if (st.f_type != CGROUP2_SUPER_MAGIC) return mount_v1(step, target);
  if (cgroupns) {
    ARCA_ASSIGN(UniqueFd mnt, new_fs_mount("cgroup2", "cgroup", "", step.flags));
    return attach(mnt.get(), target);
  }
  auto own = own_cgroups();
  auto it = own.find({"unified"});
  std::string path = it == own.end() ? "" : it->second;
  return bind_hierarchy(step, std::string(kCgroupRoot) + path, target);
}

}  // namespace arca::rootfs
