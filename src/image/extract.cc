#include "image/extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "base/remove_tree.h"
#include "image/entry_path.h"
#include "image/files.h"
#include "rootfs/resolve.h"

namespace arca::image {

namespace {

// Metadata of a directory, applied after all entries (see extract.h).
struct DirMeta {
  std::string path;
  Entry entry;
};

class Extractor {
 public:
  Extractor(ArchiveReader& reader, int root, const ExtractOptions& options)
      : reader_(reader), root_(root), options_(options), as_root_(geteuid() == 0) {}

  Result<ExtractStats> run();

 private:
  Status apply(const Entry& entry);
  Status apply_whiteout(const Whiteout& whiteout);
  Status hide_lower(int dir_fd, const std::string& dir);
  Status write_file(int parent, const std::string& leaf, const Entry& entry);
  Status write_link(int parent, const std::string& leaf, const Entry& entry);
  Status make_node(int parent, const std::string& leaf, const std::string& path,
                   const Entry& entry);
  Status set_meta(int fd, const Entry& entry, const std::string& path, bool xattrs);
  Status finish_dirs();

  ArchiveReader& reader_;
  int root_;
  const ExtractOptions& options_;
  bool as_root_;
  ExtractStats stats_;
  std::set<std::string> touched_;  // paths this archive wrote (whiteouts spare them)
  std::vector<DirMeta> dirs_;
};

// Removes whatever `leaf` is in `parent` (a directory: with everything in it), without
// following it.
Status clear(int parent, const std::string& leaf, const std::string& path) {
  return remove_tree_at(parent, leaf, path);
}

bool keep_xattr(const std::string& name) {
  return name == "security.capability" || name.compare(0, 5, "user.") == 0;
}

Result<UniqueFd> open_parent(int root, const std::string& path) {
  return rootfs::make_in_root(root, "/" + entry_parent(path), rootfs::Leaf::kDirectory);
}

Status Extractor::set_meta(int fd, const Entry& e, const std::string& path, bool xattrs) {
  // chown first: it clears set-id bits and file capabilities, which come after it.
  if (as_root_ && fchown(fd, e.uid, e.gid) != 0) return Error::os("chown " + quote(path));
  if (fchmod(fd, e.mode) != 0) return Error::os("chmod " + quote(path));
  if (xattrs) {
    for (const auto& [name, value] : e.xattrs) {
      if (!keep_xattr(name) || (!as_root_ && name.compare(0, 5, "user.") != 0)) continue;
      if (fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0 && errno != ENOTSUP) {
        return Error::os("set " + name + " on " + quote(path));
      }
    }
  }
  struct timespec times[2] = {{e.mtime_sec, e.mtime_nsec}, {e.mtime_sec, e.mtime_nsec}};
  if (futimens(fd, times) != 0) return Error::os("set times of " + quote(path));
  return {};
}

Status Extractor::write_file(int parent, const std::string& leaf, const Entry& e) {
  const std::string& path = e.name;
  UniqueFd fd(
      openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error::os("create " + quote(path));
  static std::vector<char> buf(1 << 18);  // single-threaded
  for (;;) {
    ARCA_ASSIGN(size_t n, reader_.read(buf.data(), buf.size()));
    if (n == 0) break;
    ARCA_TRY(write_all(fd.get(), buf.data(), n, quote(path)));
    stats_.bytes += n;
    if (options_.max_bytes != 0 && stats_.bytes > options_.max_bytes) {
      return Error(EFBIG, "archive: more than " + std::to_string(options_.max_bytes) + " bytes");
    }
    if (options_.progress && (stats_.bytes & ((1 << 20) - 1)) < n) {
      options_.progress(reader_.consumed());
    }
  }
  return set_meta(fd.get(), e, path, true);
}

Status Extractor::write_link(int parent, const std::string& leaf, const Entry& e) {
  if (e.type == EntryType::kSymlink) {
    // The target is stored as is: it is resolved inside the container, like any link.
    if (symlinkat(e.link.c_str(), parent, leaf.c_str()) != 0) {
      return Error::os("create symlink " + quote(e.name));
    }
    if (as_root_ && fchownat(parent, leaf.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return Error::os("chown " + quote(e.name));
    }
    struct timespec times[2] = {{e.mtime_sec, e.mtime_nsec}, {e.mtime_sec, e.mtime_nsec}};
    (void)utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
  }
  auto target = clean_entry_path(e.link);
  if (!target) return std::move(target).error().context("hardlink " + quote(e.name));
  auto target_dir = rootfs::open_in_root(root_, "/" + entry_parent(*target), O_PATH | O_DIRECTORY);
  if (!target_dir) return std::move(target_dir).error().context("hardlink " + quote(e.name));
  // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, never what it points to.
  if (linkat(target_dir->get(), entry_leaf(*target).c_str(), parent, leaf.c_str(), 0) != 0) {
    return Error::os("hardlink " + quote(e.name) + " to " + quote(e.link));
  }
  return {};
}

Status Extractor::make_node(int parent, const std::string& leaf, const std::string& path,
                            const Entry& e) {
  if (e.type == EntryType::kDirectory) {
    struct stat st;
    bool is_dir =
        fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (!is_dir) {
      ARCA_TRY(clear(parent, leaf, path));
      if (mkdirat(parent, leaf.c_str(), 0700) != 0) return Error::os("mkdir " + quote(e.name));
    }
    dirs_.push_back({path, e});
    return {};
  }
  ARCA_TRY(clear(parent, leaf, path));
  switch (e.type) {
    case EntryType::kFile:
      return write_file(parent, leaf, e);
    case EntryType::kSymlink:
    case EntryType::kHardlink:
      return write_link(parent, leaf, e);
    case EntryType::kFifo: {
      if (mknodat(parent, leaf.c_str(), S_IFIFO | 0600, 0) != 0) {
        return Error::os("mkfifo " + quote(e.name));
      }
      UniqueFd fd(openat(parent, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) return Error::os("open " + quote(e.name));
      // fchown/fchmod do not take O_PATH fds; the /proc link names exactly this inode.
      std::string via = "/proc/self/fd/" + std::to_string(fd.get());
      if (as_root_ && chown(via.c_str(), e.uid, e.gid) != 0)
        return Error::os("chown " + quote(e.name));
      if (chmod(via.c_str(), e.mode) != 0) return Error::os("chmod " + quote(e.name));
      return {};
    }
    default:
      return {};
  }
}

Status Extractor::hide_lower(int dir_fd, const std::string& dir) {
  ARCA_ASSIGN(auto names, list_dir(dir_fd, dir.empty() ? "." : dir));
  Status result;
  for (const auto& name : names) {
    std::string path = dir.empty() ? name : dir + "/" + name;
    if (!touched_.count(path)) {
      result = clear(dir_fd, name, path);
    } else if (UniqueFd sub(
                   openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
               sub.valid()) {
      result = hide_lower(sub.get(), path);  // ours, but its contents may be the lower's
    }
    if (!result) return result;
  }
  return {};
}

Status Extractor::apply_whiteout(const Whiteout& w) {
  // Whiteouts hide the lower layers only; this layer's own entries stay (image-spec).
  bool opaque = w.kind == WhiteoutKind::kOpaque;
  if (!opaque && touched_.count(w.target)) return {};
  std::string dir = opaque ? w.target : entry_parent(w.target);
  auto fd = rootfs::open_in_root(root_, "/" + dir, O_RDONLY | O_DIRECTORY);
  if (!fd) {
    // Nothing below to hide.
    if (fd.error().code() == ENOENT || fd.error().code() == ENOTDIR) return {};
    return std::move(fd).error();
  }
  if (opaque) return hide_lower(fd->get(), dir);
  return clear(fd->get(), entry_leaf(w.target), w.target);
}

Status Extractor::apply(const Entry& entry) {
  ARCA_ASSIGN(std::string path, clean_entry_path(entry.name));
  if (options_.layer) {
    ARCA_ASSIGN(Whiteout w, classify_whiteout(path));
    if (w.kind == WhiteoutKind::kIgnore) return {};
    if (w.kind != WhiteoutKind::kNone) return apply_whiteout(w);
  }
  if (entry.type == EntryType::kDevice || entry.type == EntryType::kOther) {
    ++stats_.skipped_devices;
    return {};
  }
  if (path.empty()) {
    // The target itself ("./"): only its metadata.
    if (entry.type == EntryType::kDirectory) dirs_.push_back({path, entry});
    return {};
  }
  // With its parents: an opaque marker must spare the directories leading to this entry.
  for (std::string at = path; !at.empty() && touched_.insert(at).second; at = entry_parent(at)) {
  }
  ARCA_ASSIGN(UniqueFd parent, open_parent(root_, path));
  return make_node(parent.get(), entry_leaf(path), path, entry);
}

Status Extractor::finish_dirs() {
  // Deepest (latest) first, so a parent's mtime is set after its children changed it.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    auto fd = rootfs::open_in_root(root_, "/" + it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) continue;  // replaced by a later entry
    ARCA_TRY(set_meta(fd->get(), it->entry, it->path.empty() ? "." : it->path, true));
  }
  return {};
}

Result<ExtractStats> Extractor::run() {
  for (;;) {
    ARCA_ASSIGN(auto entry, reader_.next());
    if (!entry) break;
    ++stats_.entries;
    ARCA_TRY(apply(*entry));
    if (options_.progress && stats_.entries % 256 == 0) options_.progress(reader_.consumed());
  }
  ARCA_TRY(finish_dirs());
  if (options_.progress) options_.progress(reader_.consumed());
  return stats_;
}

}  // namespace

Result<ExtractStats> extract(ArchiveReader& reader, int root_fd, const ExtractOptions& options) {
  return Extractor(reader, root_fd, options).run();
}

}  // namespace arca::image
