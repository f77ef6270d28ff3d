#include "cgroups/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/text.h"
#include "base/unique_fd.h"

namespace arca::cgroups {
namespace {

// Entries of a directory, split into sub-directories and other files.
Status list(const std::string& dir, std::vector<std::string>* dirs,
            std::vector<std::string>* files) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Error::os("open directory " + quote(dir));
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::lstat((dir + "/" + name).c_str(), &st) != 0) continue;
    (S_ISDIR(st.st_mode) ? dirs : files)->push_back(name);
  }
  ::closedir(d);
  return {};
}

Status write_value(int fd, const std::string& path, const std::string& value) {
  ssize_t n = ::write(fd, value.data(), value.size());
  if (n < 0) return Error::os("write " + quote(value) + " to " + quote(path));
  if (static_cast<size_t>(n) != value.size()) {
    return Error(EIO, "short write of " + quote(value) + " to " + quote(path));
  }
  return {};
}

Status write_all(const std::string& path, const std::string& value, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  if (!fd.valid()) return Error::os("open " + quote(path));
  return write_value(fd.get(), path, value);
}

}  // namespace

std::string trim(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  size_t a = line.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = line.find_last_not_of(" \t");
  return line.substr(a, b - a + 1);
}

Result<UniqueFd> open_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open cgroup " + quote(dir));
  return fd;
}

Status join_by_tasks_fds(const int* fds, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    ssize_t n = ::write(fds[i], "0", 1);
    int saved = errno;
    ::close(fds[i]);
    if (n != 1) {
      errno = saved;
      return Error::os("join cgroup (write \"0\" to tasks)");
    }
  }
  return {};
}

bool CgroupFs::exists(const std::string& path) const { return ::access(path.c_str(), F_OK) == 0; }

Status CgroupFs::make_dirs(const std::string& base, const std::string& dir,
                           std::vector<std::string>* created) const {
  if (dir.size() <= base.size()) return {};  // the base exists
  // The leaf first: its parent usually exists (the caller's own cgroup), so the common
  // case is one mkdir rather than one per level of the path.
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return {};
    if (errno != ENOENT) return Error::os("create cgroup " + quote(dir));
    ARCA_TRY(make_dirs(base, dir.substr(0, dir.rfind('/')), created));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::os("create cgroup " + quote(dir));
    }
  }
  created->push_back(dir);
  return imitation_ ? imitate_new_cgroup(dir) : Status{};
}

Status CgroupFs::imitate_new_cgroup(const std::string& dir) const {
  std::string parent = dir.substr(0, dir.rfind('/'));
  std::vector<std::string> dirs, files;
  ARCA_TRY(list(parent, &dirs, &files));
  for (const auto& f : files) {
    std::string value;
    if (f == "cgroup.controllers") {
      auto enabled = read(parent, "cgroup.subtree_control");
      if (enabled) value = *enabled;
    }
    ARCA_TRY(write_all(dir + "/" + f, value, O_WRONLY | O_CREAT | O_TRUNC));
  }
  return {};
}

Status CgroupFs::write(const std::string& dir, const std::string& file,
                       const std::string& value) const {
  return write_all(dir + "/" + file, value, O_WRONLY | O_TRUNC);
}

Status ControlWriter::write(const std::string& dir, const std::string& file,
                            const std::string& value) {
  if (fs_.imitation()) return fs_.write(dir, file, value);
  std::string path = dir + "/" + file;
  if (path != path_ || !fd_.valid()) {
    path_.clear();
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd_.valid()) return Error::os("open " + quote(path));
    path_ = path;
  }
  return write_value(fd_.get(), path, value);
}

Result<std::string> CgroupFs::read(const std::string& dir, const std::string& file) const {
  std::string path = dir + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(path));
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) return Error::os("read " + quote(path));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status CgroupFs::remove_one(const std::string& dir) const {
  if (imitation_) {
    std::vector<std::string> dirs, files;
    ARCA_TRY(list(dir, &dirs, &files));
    for (const auto& f : files) ::unlink((dir + "/" + f).c_str());
  }
  // A cgroup whose last process was just reaped stays busy for a moment (the kernel
  // unlinks it asynchronously): retry with short, growing sleeps, about 2 s in all.
  auto pause = std::chrono::microseconds(50);
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt == 40) return Error::os("remove cgroup " + quote(dir));
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(100000));
  }
}

Status CgroupFs::remove_tree(const std::string& dir) const {
  // The common case, a cgroup without children, is one rmdir: walking it first would
  // cost a dozen syscalls per hierarchy on every `delete`.
  if (!imitation_) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    // cgroupfs answers EBUSY both for tasks still leaving and for child cgroups (which
    // a container may have made, e.g. moving its init into a leaf): walk it then.
    if (errno != EBUSY && errno != ENOTEMPTY) return Error::os("remove cgroup " + quote(dir));
  }
  if (!exists(dir)) return {};
  std::vector<std::string> dirs, files;
  ARCA_TRY(list(dir, &dirs, &files));
  for (const auto& d : dirs) ARCA_TRY(remove_tree(dir + "/" + d));
  return remove_one(dir);
}

Result<std::vector<pid_t>> CgroupFs::procs(const std::string& dir) const {
  std::vector<pid_t> out;
  ARCA_ASSIGN(std::string text, read(dir, "cgroup.procs"));
  for (const std::string& word : text::words(text))
    out.push_back(static_cast<pid_t>(atol(word.c_str())));
  std::vector<std::string> dirs, files;
  ARCA_TRY(list(dir, &dirs, &files));
  for (const auto& d : dirs) {
    ARCA_ASSIGN(auto sub, procs(dir + "/" + d));
    out.insert(out.end(), sub.begin(), sub.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Status CgroupFs::enable_controller(const std::string& at, const std::string& controller) const {
  ARCA_ASSIGN(std::string enabled, read(at, "cgroup.subtree_control"));
  auto words = text::words(enabled);
  if (std::find(words.begin(), words.end(), controller) != words.end()) return {};
  if (!imitation_) return write(at, "cgroup.subtree_control", "+" + controller);
  words.push_back(controller);
  std::sort(words.begin(), words.end());  // a stable order for the tests that read it
  std::string all;
  for (const auto& w : words) all += (all.empty() ? "" : " ") + w;
  return write(at, "cgroup.subtree_control", all);
}

}  // namespace arca::cgroups
