#include "image/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace arca::image {

Result<UniqueFd> make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Error::invalid("empty directory name");
  UniqueFd dir(open(path.front() == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return Error::os("open " + quote(path));
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (mkdirat(dir.get(), part.c_str(), mode) != 0 && errno != EEXIST) {
      return Error::os("create directory " + quote(path));
    }
    // Following symlinks here on purpose: the path is the user's (--cache-dir), not an
    // archive's.
    UniqueFd next(openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!next.valid()) return Error::os("open " + quote(path));
    dir = std::move(next);
  }
  return dir;
}

Result<std::vector<std::string>> list_dir(int dir_fd, const std::string& where) {
  // A fresh open description: fdopendir() takes ownership and uses the file offset.
  UniqueFd list(openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = list.valid() ? fdopendir(list.get()) : nullptr;
  if (d == nullptr) return Error::os("list " + quote(where));
  list.release();
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(d);
  return names;
}

Status write_all(int fd, const void* data, size_t size, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("write " + what);
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status create_file_at(int dir_fd, const std::string& name, const std::string& content,
                      mode_t mode) {
  UniqueFd fd(
      openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return Error::os("create " + quote(name));
  return write_all(fd.get(), content.data(), content.size(), quote(name));
}

Result<std::string> read_all(int fd, size_t limit, const std::string& what) {
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("read " + what);
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > limit) {
      return Error::invalid(what + ": larger than " + std::to_string(limit) + " bytes");
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> read_file_at(int dir_fd, const std::string& name, size_t limit) {
  UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(name));
  return read_all(fd.get(), limit, quote(name));
}

}  // namespace arca::image
