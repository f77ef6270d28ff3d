#include "base/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace arca {

Status remove_tree_contents(int dir_fd, dev_t dev, const std::string& where) {
  // A fresh open description: fdopendir() takes ownership and uses the file offset.
  int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) {
    if (errno == ENOENT) return {};  // already removed
    return Error::os("open " + quote(where));
  }
  DIR* dir = ::fdopendir(list_fd);
  if (dir == nullptr) {
    ::close(list_fd);
    return Error::os("open " + quote(where));
  }
  Status result;
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = where + "/" + name;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      result = Error::os("stat " + quote(path));
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        result = Error::invalid("refusing to remove " + quote(path) + ": it is a mount point");
        break;
      }
      UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      struct stat opened;
      // Re-check what we opened: the entry may have been swapped since the fstatat().
      if (!sub.valid() || ::fstat(sub.get(), &opened) != 0 || opened.st_dev != st.st_dev ||
          opened.st_ino != st.st_ino) {
        result = Error::os("open " + quote(path));
        break;
      }
      result = remove_tree_contents(sub.get(), dev, path);
      if (!result) break;
      if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        result = Error::os("remove " + quote(path));
        break;
      }
    } else if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      result = Error::os("remove " + quote(path));
      break;
    }
    errno = 0;
  }
  ::closedir(dir);
  return result;
}

Status remove_tree_at(int dir_fd, const std::string& name, const std::string& where) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return Error::os("stat " + quote(where));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return Error::os("remove " + quote(where));
    }
    return {};
  }
  struct stat parent;
  if (dir_fd != AT_FDCWD && (::fstat(dir_fd, &parent) != 0 || parent.st_dev != st.st_dev)) {
    return Error::invalid("refusing to remove " + quote(where) + ": it is a mount point");
  }
  UniqueFd sub(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat opened;
  if (!sub.valid() || ::fstat(sub.get(), &opened) != 0 || opened.st_ino != st.st_ino ||
      opened.st_dev != st.st_dev) {
    return Error::os("open " + quote(where));
  }
  ARCA_TRY(remove_tree_contents(sub.get(), st.st_dev, where));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Error::os("remove " + quote(where));
  }
  return {};
}

}  // namespace arca
