#include "rootfs/resolve.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace arca::rootfs {
namespace {

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += "/" + parts[i];
  return out.empty() ? "/" : out;
}

}  // namespace

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

std::string parent_of(const std::string& path) {
  auto parts = split_path(path);
  return join(parts, parts.empty() ? 0 : parts.size() - 1);
}

std::string base_of(const std::string& path) {
  auto parts = split_path(path);
  return parts.empty() ? "/" : parts.back();
}

Result<UniqueFd> open_in_root(int root, const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  // RESOLVE_NO_MAGICLINKS: a /proc/<pid>/fd/N style link would jump to an arbitrary
  // host object regardless of the root clamp.
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path.empty() ? "." : path;
  for (;;) {
    long fd = syscall(SYS_openat2, root, rel.c_str(), &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    // EAGAIN: a concurrent rename somewhere in the tree made the kernel refuse to
    // vouch for the walk; retrying is the documented response.
    if (errno == EAGAIN || errno == EINTR) continue;
    return Error::os("open " + quote(path) + " in rootfs");
  }
}

namespace {

// Joins parts[from..] onto base.
std::string splice(std::string base, const std::vector<std::string>& parts, size_t from) {
  for (size_t i = from; i < parts.size(); ++i) base += "/" + parts[i];
  return base;
}

// One pass over `want`: creates the first missing component. Returns the path to walk
// next: `want` again when a component was created or nothing was missing, or the path
// with a dangling symlink's target spliced in. *done is set when all of it exists.
Result<std::string> make_step(int root, const std::string& want, Leaf leaf, bool* done) {
  auto parts = split_path(want);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string prefix = join(parts, i + 1);
    auto existing = open_in_root(root, prefix, O_PATH);
    if (existing.ok()) continue;
    if (existing.error().code() != ENOENT) return std::move(existing).error();

    ARCA_ASSIGN(UniqueFd parent, open_in_root(root, join(parts, i), O_PATH | O_DIRECTORY));
    bool file = leaf == Leaf::kFile && i + 1 == parts.size();
    int rc = file ? mknodat(parent.get(), parts[i].c_str(), S_IFREG | 0644, 0)
                  : mkdirat(parent.get(), parts[i].c_str(), 0755);
    if (rc == 0 || errno != EEXIST) {
      if (rc < 0) return Error::os((file ? "create " : "mkdir ") + quote(prefix) + " in rootfs");
      return want;
    }
    // The name exists but does not resolve: a dangling symlink. Continue with its target
    // spliced into the path; whatever it says, the next pass resolves it in root again,
    // so an absolute or "../.." target ends up being created inside the rootfs.
    char buf[PATH_MAX];
    ssize_t n = readlinkat(parent.get(), parts[i].c_str(), buf, sizeof(buf));
    if (n < 0) return Error::os("readlink " + quote(prefix) + " in rootfs");
    std::string target(buf, static_cast<size_t>(n));
    std::string base = target[0] == '/' ? "" : join(parts, i);
    return splice(base + "/" + target, parts, i + 1);
  }
  *done = true;
  return want;
}

}  // namespace

Result<UniqueFd> make_in_root(int root, const std::string& path, Leaf leaf) {
  auto whole = open_in_root(root, path, O_PATH);
  if (whole.ok() || whole.error().code() != ENOENT) return whole;

  // Create prefix by prefix, always resolving from the root again: a component may be a
  // symlink with ".." in it, which must be resolved against the real tree (clamped at
  // the root), never against the directory we happen to have open. Each pass creates
  // one component or expands one dangling symlink; bound the passes like the kernel
  // bounds symlink expansion (ELOOP) so a cycle cannot spin forever.
  std::string want = path;
  bool done = false;
  for (int pass = 0; pass < 256 && !done; ++pass) {
    ARCA_ASSIGN(want, make_step(root, want, leaf, &done));
  }
  if (!done) return Error(ELOOP, "create " + quote(path) + " in rootfs");
  return open_in_root(root, path, O_PATH);
}

Status check_is_procfs(int fd) {
  struct statfs st = {};
  if (fstatfs(fd, &st) < 0) return Error::os("fstatfs");
  if (st.f_type != PROC_SUPER_MAGIC) {
    return Error::invalid("not on procfs (f_type " + std::to_string(st.f_type) + ")");
  }
  return {};
}

}  // namespace arca::rootfs
