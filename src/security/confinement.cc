#include "security/confinement.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs/resolve.h"

namespace arca::security {

Status enter_directory(const std::string& path, bool create) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Error::os("open \"/\"");
  auto dir = rootfs::open_in_root(root.get(), path, O_PATH | O_DIRECTORY);
  if (!dir && dir.error().code() == ENOENT && create) {
    dir = rootfs::make_in_root(root.get(), path, rootfs::Leaf::kDirectory);
  }
  if (!dir) return std::move(dir).error();
  if (fchdir(dir->get()) != 0) return Error::os("chdir to " + quote(path));
  return check_cwd_inside_root();
}

Status check_cwd_inside_root() {
  char buf[PATH_MAX];
  // The kernel prefixes an unreachable cwd with "(unreachable)"; glibc turns that into
  // ENOENT.
  if (getcwd(buf, sizeof buf) == nullptr && errno == ENOENT) {
    return Error::invalid("the working directory is outside the container's root");
  }
  return {};
}

Status check_is_dev_null(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Error::os("stat \"/dev/null\"");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
    return Error::invalid("\"/dev/null\" in the container is not the null device");
  }
  return {};
}

}  // namespace arca::security
