// tmpcopyup: seeds a fresh tmpfs with what the rootfs had at the mount point.
//
// The copy goes into the tmpfs while it is still detached (before move_mount), so the
// container never sees a half-filled directory and nothing else can reach the target
// tree while we write into it; the source is read through an fd resolved in root.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "rootfs/internal.h"

namespace arca::rootfs {
namespace {

Status copy_data(int from, int to, const std::string& name) {
  UniqueFd in(openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid()) return Error::os("open " + quote(name));
  UniqueFd out(
      openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid()) return Error::os("create " + quote(name));
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("read " + quote(name));
    if (n == 0) return {};
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out.get(), buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Error::os("write " + quote(name));
      done += w;
    }
  }
}

Status copy_entry(int from, int to, const std::string& name) {
  struct stat st = {};
  if (fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    return Error::os("stat " + quote(name));
  }
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR: {
      if (mkdirat(to, name.c_str(), 0700) < 0) return Error::os("mkdir " + quote(name));
      UniqueFd sub_from(
          openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd sub_to(openat(to, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_from.valid() || !sub_to.valid()) return Error::os("open " + quote(name));
      auto st_sub = copy_tree(sub_from.get(), sub_to.get());
      if (!st_sub) return std::move(st_sub).error().context(name);
      break;
    }
    case S_IFREG:
      ARCA_TRY(copy_data(from, to, name));
      break;
    case S_IFLNK: {
      std::vector<char> target(static_cast<size_t>(st.st_size) + 1);
      ssize_t n = readlinkat(from, name.c_str(), target.data(), target.size());
      if (n < 0) return Error::os("readlink " + quote(name));
      std::string link(target.data(), static_cast<size_t>(n));
      if (symlinkat(link.c_str(), to, name.c_str()) < 0) {
        return Error::os("symlink " + quote(name));
      }
      break;
    }
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
      if (mknodat(to, name.c_str(), st.st_mode & S_IFMT, st.st_rdev) < 0) {
        return Error::os("mknod " + quote(name));
      }
      break;
    default:
      return {};  // Sockets belong to whoever bound them; there is nothing to copy.
  }
  if (fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
    return Error::os("chown " + quote(name));
  }
  // After chown, which clears setuid/setgid. The target tree is our detached tmpfs, so
  // fchmodat following a name is safe; symlinks have no mode of their own.
  if (!S_ISLNK(st.st_mode) && fchmodat(to, name.c_str(), st.st_mode & 07777, 0) < 0) {
    return Error::os("chmod " + quote(name));
  }
  return {};
}

}  // namespace

Status copy_tree(int from, int to) {
  int dir_fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Error::os("open directory");
  DIR* dir = fdopendir(dir_fd);
  if (dir == nullptr) {
    close(dir_fd);
    return Error::os("fdopendir");
  }
  std::vector<std::string> names;
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  for (const std::string& name : names) ARCA_TRY(copy_entry(from, to, name));
  return {};
}

}  // namespace arca::rootfs
