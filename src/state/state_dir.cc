// The per-container state directory: creation, locking, state.json and removal.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include "base/remove_tree.h"
#include "state/state.h"

namespace arca::state {

namespace {

constexpr const char* kStateFile = "state.json";

// mkdir -p: the state root (e.g. /run/arca) may not exist on a fresh boot.
arca::Status mkdir_all(const std::string& path, mode_t mode) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return Error::os("create directory " + quote(prefix));
    }
    if (slash == std::string::npos) return {};
  }
}

arca::Status write_all(int fd, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("write");
    done += static_cast<size_t>(n);
  }
  return {};
}

// An empty root would turn "<root>/<id>" into "/<id>", outside any state root.
arca::Status check_root_and_id(const std::string& root, const std::string& id) {
  if (root.empty()) return Error::invalid("state root must not be empty");
  return validate_id(id);
}

Result<UniqueFd> open_dir(const std::string& path) {
  // O_NOFOLLOW: the state dir itself must not be a symlink planted under the root.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open state dir " + quote(path));
  return fd;
}

}  // namespace

// Writes `content` to dir/name via a fresh temp file and renameat(), so readers see the
// old or the new content, never a torn file. No fsync: the state lives on tmpfs.
arca::Status write_at_atomic(int dir_fd, const std::string& name, const std::string& content,
                             mode_t mode) {
  static std::atomic<unsigned> counter{0};
  UniqueFd fd;
  std::string temp;
  // O_EXCL never reuses a file left behind by a crash; a clash just picks another name.
  for (int attempt = 0; !fd.valid(); ++attempt) {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    temp = "." + name + ".tmp-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter.fetch_add(1)) + "-" + std::to_string(ts.tv_nsec);
    fd.reset(::openat(dir_fd, temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode));
    if (!fd.valid() && (errno != EEXIST || attempt >= 16)) {
      return Error::os("create temp file for " + quote(name));
    }
  }
  arca::Status result;
  // The umask must not weaken the mode the caller asked for.
  if (::fchmod(fd.get(), mode) != 0) {
    result = Error::os("chmod temp file for " + quote(name));
  } else if (auto written = write_all(fd.get(), content); !written) {
    result = std::move(written).error().context("write temp file for " + quote(name));
  } else if (::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
    result = Error::os("rename temp file to " + quote(name));
  }
  if (!result) ::unlinkat(dir_fd, temp.c_str(), 0);
  return result;
}

Result<StateDir> StateDir::create(const std::string& root, const std::string& id) {
  ARCA_TRY(check_root_and_id(root, id));
  ARCA_TRY(mkdir_all(root, 0700));
  StateDir dir;
  dir.id_ = id;
  dir.path_ = root + "/" + id;
  // mkdir() is the atomic claim: of racing creates exactly one gets past it. Another verb
  // may open the new dir before we lock it; it then finds no state.json yet.
  if (::mkdir(dir.path_.c_str(), 0700) != 0) {
    if (errno == EEXIST) return Error::invalid("container " + quote(id) + " already exists");
    return Error::os("create state dir " + quote(dir.path_));
  }
  auto fd = open_dir(dir.path_);
  arca::Status ready = fd ? arca::Status() : arca::Status(std::move(fd).error());
  if (ready) {
    dir.dir_ = std::move(fd).value();
    ready = dir.lock();
  }
  if (ready) return dir;
  // Give the id back: a half-made dir would block every later create of it.
  ::rmdir(dir.path_.c_str());
  return std::move(ready).error();
}

Result<StateDir> StateDir::open(const std::string& root, const std::string& id) {
  ARCA_TRY(check_root_and_id(root, id));
  StateDir dir;
  dir.id_ = id;
  dir.path_ = root + "/" + id;
  auto fd = open_dir(dir.path_);
  if (!fd) {
    if (fd.error().code() == ENOENT) {
      return Error::invalid("container " + quote(id) + " does not exist");
    }
    return std::move(fd).error();
  }
  dir.dir_ = std::move(fd).value();
  return dir;
}

arca::Status StateDir::lock() {
  while (::flock(dir_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error::os("lock state dir " + quote(path_));
  }
  return {};
}

Result<Record> StateDir::load() const {
  const std::string what = "state.json of " + quote(id_);
  UniqueFd fd(::openat(dir_.get(), kStateFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  // ENOENT reads "state.json of "id": No such file or directory": create never finished.
  if (!fd.valid()) return Error::os(what);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("read " + what);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  const std::string corrupt = what + ": corrupt";
  // No exceptions: a damaged file must become an error message, not a crash.
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Error::invalid(corrupt + ": " + (text.empty() ? "empty file" : "not valid JSON"));
  }
  auto record = record_from_json(j);
  if (!record) return std::move(record).error().context(corrupt);
  if (record->id != id_) {
    return Error::invalid(corrupt + ": it names container " + quote(record->id));
  }
  return record;
}

arca::Status StateDir::save(const Record& record) const {
  auto saved = write_at_atomic(dir_.get(), kStateFile, to_json(record).dump(), 0600);
  if (!saved) return std::move(saved).error().context("save state of " + quote(id_));
  return {};
}

arca::Status StateDir::remove() {
  struct stat self;
  if (::fstat(dir_.get(), &self) != 0) return Error::os("stat state dir " + quote(path_));
  auto emptied = remove_tree_contents(dir_.get(), self.st_dev, path_);
  if (!emptied) return std::move(emptied).error().context("remove state of " + quote(id_));
  // Only remove the directory we hold: if ours is gone and a new container took the id,
  // its directory is not ours to delete.
  struct stat named;
  if (::lstat(path_.c_str(), &named) != 0) {
    if (errno == ENOENT) return {};
    return Error::os("stat state dir " + quote(path_));
  }
  if (named.st_dev != self.st_dev || named.st_ino != self.st_ino) return {};
  if (::rmdir(path_.c_str()) != 0 && errno != ENOENT) {
    return Error::os("remove state dir " + quote(path_));
  }
  return {};
}

arca::Status write_file_atomic(const std::string& path, const std::string& content, mode_t mode) {
  const size_t slash = path.rfind('/');
  const std::string dir_path =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty()) return Error::invalid("write " + quote(path) + ": not a file name");
  UniqueFd dir(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return Error::os("write " + quote(path) + ": open directory");
  auto written = write_at_atomic(dir.get(), name, content, mode);
  if (!written) return std::move(written).error().context("write " + quote(path));
  return {};
}

}  // namespace arca::state
