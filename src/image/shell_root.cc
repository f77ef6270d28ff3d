#include "image/shell_root.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "base/remove_tree.h"
#include "image/files.h"
#include "linux/syscalls.h"

namespace arca::image {

namespace {

const char* const kStateRootFile = "state-root";
const char* const kImageFile = "image";

Result<UniqueFd> open_dir_at(int parent, const char* name, const std::string& where) {
  UniqueFd fd(openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(where));
  return fd;
}

// create() makes the directory, then locks it: in between, a scan finds it unlocked. A
// live shell has written its state-root file once it holds the lock, so a directory
// without one is left alone for a minute (after that its creator died before locking).
bool being_created(int dir) {
  if (faccessat(dir, kStateRootFile, F_OK, 0) == 0) return false;
  struct stat st;
  return fstat(dir, &st) == 0 && time(nullptr) - st.st_mtime < 60;
}

}  // namespace

Result<ShellRoot> ShellRoot::create(const std::string& shells_dir, const std::string& id,
                                    const std::string& state_root) {
  ShellRoot r;
  r.id_ = id;
  r.path_ = shells_dir + "/" + id;
  ARCA_ASSIGN(r.parent_, make_dirs(shells_dir, 0700));
  if (mkdirat(r.parent_.get(), id.c_str(), 0700) != 0) {
    if (errno == EEXIST) return Error::invalid("container " + quote(id) + " already exists");
    return Error::os("create " + quote(r.path_));
  }
  auto dir = open_dir_at(r.parent_.get(), id.c_str(), r.path_);
  if (!dir) {
    (void)unlinkat(r.parent_.get(), id.c_str(), AT_REMOVEDIR);
    return std::move(dir).error();
  }
  r.dir_ = std::move(dir).value();
  // Never contended: the directory is new. A stale() scan sees it locked from here on.
  if (flock(r.dir_.get(), LOCK_EX | LOCK_NB) != 0) {
    Error error = Error::os("lock " + quote(r.path_));
    (void)r.remove();
    return error;
  }
  if (auto s = create_file_at(r.dir_.get(), kStateRootFile, state_root, 0600); !s) {
    (void)r.remove();
    return std::move(s).error().context("shell scratch dir " + quote(r.path_));
  }
  return r;
}

Result<std::vector<ShellRoot>> ShellRoot::stale(const std::string& shells_dir) {
  std::vector<ShellRoot> out;
  UniqueFd parent(open(shells_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent.valid()) {
    if (errno == ENOENT) return out;
    return Error::os("open " + quote(shells_dir));
  }
  ARCA_ASSIGN(auto names, list_dir(parent.get(), shells_dir));
  for (const auto& name : names) {
    UniqueFd dir(
        openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid() || flock(dir.get(), LOCK_EX | LOCK_NB) != 0) continue;  // alive
    if (being_created(dir.get())) continue;
    ShellRoot r;
    r.id_ = name;
    r.path_ = shells_dir + "/" + name;
    r.parent_.reset(dup(parent.get()));
    r.dir_ = std::move(dir);
    out.push_back(std::move(r));
  }
  return out;
}

std::set<std::string> ShellRoot::images_in_use(const std::string& shells_dir) {
  std::set<std::string> keys;
  UniqueFd parent(open(shells_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto names = parent.valid() ? list_dir(parent.get(), shells_dir)
                              : Result<std::vector<std::string>>(std::vector<std::string>());
  if (!names) return keys;
  for (const auto& name : *names) {
    UniqueFd dir(
        openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // Locked: its shell runs. (An unlocked one we now hold for a moment; it is stale.)
    if (!dir.valid() || flock(dir.get(), LOCK_SH | LOCK_NB) == 0) continue;
    if (auto key = read_file_at(dir.get(), kImageFile)) keys.insert(*key);
  }
  return keys;
}

Status ShellRoot::pin_image(const std::string& key) {
  auto s = create_file_at(dir_.get(), kImageFile, key, 0600);
  if (!s) return std::move(s).error().context("shell scratch dir " + quote(path_));
  return s;
}

std::string ShellRoot::state_root() const {
  auto text = read_file_at(dir_.get(), kStateRootFile);
  return text ? *text : std::string();
}

Result<plan::Launch::OverlayRoot> ShellRoot::make_overlay(const std::string& lower) {
  for (const std::string* path : {&lower, static_cast<const std::string*>(&path_)}) {
    if (path->find_first_of(",:\\\n") != std::string::npos) {
      return Error::invalid(quote(*path) +
                            ": an overlay layer's path may not hold ',' ':' or "
                            "'\\' (use --rw, or another --cache-dir)");
    }
  }
  for (const char* sub : {"upper", "work", "root"}) {
    if (mkdirat(dir_.get(), sub, 0755) != 0) return Error::os("create " + quote(path_ + "/" + sub));
  }
  return plan::Launch::OverlayRoot{lower, path_ + "/upper", path_ + "/work"};
}

Status ShellRoot::remove() {
  if (!dir_.valid()) return {};
  auto removed = remove_tree_at(parent_.get(), id_, path_);
  dir_.reset();
  return removed;
}

}  // namespace arca::image
