#include "security/procfs.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace arca::security {
namespace {

// The root directory of every procfs instance has this inode number.
constexpr ino_t kProcRootIno = 1;

}  // namespace

Result<UniqueFd> open_procfs_root() {
  UniqueFd proc(open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!proc.valid()) return Error::os("open \"/proc\"");
  struct statfs fs;
  struct stat st;
  if (fstatfs(proc.get(), &fs) != 0 || fstat(proc.get(), &st) != 0) {
    return Error::os("stat \"/proc\"");
  }
  if (fs.f_type != PROC_SUPER_MAGIC) {
    return Error::invalid("\"/proc\" in the container is not a procfs mount");
  }
  if (st.st_ino != kProcRootIno) {
    return Error::invalid("\"/proc\" in the container is not the root of a procfs mount");
  }
  return proc;
}

Status write_proc_file(int proc, const std::string& relative, const std::string& value) {
  open_how how = {};
  how.flags = O_WRONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = syscall(SYS_openat2, proc, relative.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  const std::string name = quote("/proc/" + relative);
  if (fd < 0) return Error::os("open " + name);
  UniqueFd file(static_cast<int>(fd));
  // procfs takes a value in one write; a short write is an error like any other.
  ssize_t n = write(file.get(), value.data(), value.size());
  if (n < 0) return Error::os("write " + name);
  if (static_cast<size_t>(n) != value.size()) return Error(EIO, "short write to " + name);
  return {};
}

}  // namespace arca::security
