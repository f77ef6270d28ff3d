#include "image/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "base/remove_tree.h"
#include "image/files.h"
#include "image/sha256.h"
#include "state/state.h"

namespace arca::image {

namespace {

using nlohmann::json;

constexpr time_t kAbandonedAfter = 60;  // seconds an unlocked temp dir is given to get locked

std::string random_name() {
  unsigned char bytes[8] = {};
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    auto pid = static_cast<unsigned>(getpid());
    for (size_t i = 0; i < sizeof bytes; ++i)
      bytes[i] = static_cast<unsigned char>(pid >> (i % 4 * 8));
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// Entry names, without dot files (lock, temp files).
std::vector<std::string> list_names(int dir_fd) {
  std::vector<std::string> names;
  auto all = list_dir(dir_fd, "cache");
  if (!all) return names;
  for (auto& name : *all) {
    if (name.front() != '.') names.push_back(std::move(name));
  }
  return names;
}

Result<UniqueFd> subdir(int parent, const char* name, const std::string& where) {
  if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST)
    return Error::os("create " + quote(where));
  UniqueFd fd(openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(where));
  return fd;
}

// Removes temp dirs of imports that died: unlocked, and not brand new (a new one is
// locked right after mkdir).
int remove_abandoned(int tmp_fd, const std::string& where) {
  int removed = 0;
  for (const auto& name : list_names(tmp_fd)) {
    UniqueFd fd(openat(tmp_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st;
    if (!fd.valid() || fstat(fd.get(), &st) != 0 || time(nullptr) - st.st_mtime < kAbandonedAfter ||
        flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      continue;
    }
    if (remove_tree_at(tmp_fd, name, where + "/" + name)) ++removed;
  }
  return removed;
}

std::string source_file(const std::string& source, const std::string& image) {
  return sha256_of(source + '\0' + image).substr(7);
}

json stat_json(const struct stat& st) {
  return {{"dev", st.st_dev},
          {"ino", st.st_ino},
          {"size", st.st_size},
          {"mtime", st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec},
          {"ctime", st.st_ctim.tv_sec * 1000000000ll + st.st_ctim.tv_nsec}};
}

}  // namespace

std::string work_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = getenv("ARCA_CACHE_DIR");
  return env != nullptr && *env != '\0' ? env : "/var/lib/arca";
}

Result<Cache> Cache::open(const std::string& dir) {
  Cache c;
  c.dir_ = dir;
  ARCA_ASSIGN(c.fd_, make_dirs(dir, 0700));
  return c;
}

Result<UniqueFd> Cache::lock(bool exclusive) const {
  UniqueFd fd(openat(fd_.get(), "lock", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error::os("open " + quote(dir_ + "/lock"));
  while (flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return Error::os("lock " + quote(dir_ + "/lock"));
  }
  return fd;
}

std::optional<CacheEntry> Cache::find(const std::string& key) const {
  if (!is_sha256_digest(key)) return std::nullopt;
  std::string rel = "sha256/" + key.substr(7);
  UniqueFd dir(openat(fd_.get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) return std::nullopt;
  CacheEntry entry;
  entry.key = key;
  entry.dir = dir_ + "/" + rel;
  if (auto text = read_file_at(dir.get(), "image.json")) {
    auto j = json::parse(*text, nullptr, false);
    if (j.is_object()) entry.meta = j;
  }
  return entry;
}

Result<CacheEntry> Cache::add(const std::string& key,
                              const std::function<Result<json>(int rootfs_fd)>& fill) const {
  if (!is_sha256_digest(key)) return Error::invalid("bad cache key " + quote(key));
  ARCA_ASSIGN(UniqueFd tmp, subdir(fd_.get(), "tmp", dir_ + "/tmp"));
  remove_abandoned(tmp.get(), dir_ + "/tmp");
  std::string name = random_name();
  std::string where = dir_ + "/tmp/" + name;
  ARCA_ASSIGN(UniqueFd work, subdir(tmp.get(), name.c_str(), where));
  if (flock(work.get(), LOCK_EX | LOCK_NB) != 0) return Error::os("lock " + quote(where));
  auto filled = [&]() -> Result<json> {
    ARCA_ASSIGN(UniqueFd rootfs, subdir(work.get(), "rootfs", where + "/rootfs"));
    if (fchmod(rootfs.get(), 0755) != 0) return Error::os("chmod " + quote(where + "/rootfs"));
    ARCA_ASSIGN(json meta, fill(rootfs.get()));
    meta["key"] = key;
    meta["created"] = state::now_rfc3339();
    ARCA_TRY(state::write_at_atomic(work.get(), "image.json", meta.dump(2) + "\n", 0644));
    ARCA_ASSIGN(UniqueFd sha, subdir(fd_.get(), "sha256", dir_ + "/sha256"));
    // The one step that makes the entry exist: before it there is no entry, after it a
    // whole one.
    if (renameat(tmp.get(), name.c_str(), sha.get(), key.substr(7).c_str()) != 0 &&
        errno != EEXIST && errno != ENOTEMPTY) {
      return Error::os("rename " + quote(where) + " into the cache");
    }
    return meta;
  }();
  // Gone after a successful rename; otherwise ours (failed, or lost the race).
  (void)remove_tree_at(tmp.get(), name, where);
  if (!filled) return std::move(filled).error();
  auto entry = find(key);
  if (!entry) return Error(ENOENT, "cache entry " + key + " vanished");
  return *entry;
}

std::optional<std::string> Cache::remembered_key(const std::string& source,
                                                 const std::string& image,
                                                 const struct stat& st) const {
  auto text = read_file_at(fd_.get(), "sources/" + source_file(source, image));
  if (!text) return std::nullopt;
  auto j = json::parse(*text, nullptr, false);
  if (!j.is_object() || j.value("source", "") != source || j.value("image", "") != image ||
      j.value("stat", json()) != stat_json(st) || !j["key"].is_string()) {
    return std::nullopt;
  }
  return j["key"].get<std::string>();
}

void Cache::remember(const std::string& source, const std::string& image, const struct stat& st,
                     const std::string& key) const {
  auto dir = subdir(fd_.get(), "sources", dir_ + "/sources");
  if (!dir) return;  // only an optimisation
  json j = {{"source", source}, {"image", image}, {"stat", stat_json(st)}, {"key", key}};
  (void)state::write_at_atomic(dir->get(), source_file(source, image), j.dump() + "\n", 0600);
}

Result<std::vector<CacheEntry>> Cache::list() const {
  std::vector<CacheEntry> out;
  UniqueFd sha(openat(fd_.get(), "sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sha.valid()) return out;
  for (const auto& name : list_names(sha.get())) {
    if (auto entry = find("sha256:" + name)) out.push_back(std::move(*entry));
  }
  return out;
}

Result<PruneStats> Cache::prune(const std::set<std::string>& keep) const {
  PruneStats stats;
  ARCA_ASSIGN(auto entries, list());
  UniqueFd sha(openat(fd_.get(), "sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  for (const auto& entry : entries) {
    if (keep.count(entry.key)) {
      ++stats.kept;
      continue;
    }
    ARCA_TRY(remove_tree_at(sha.get(), entry.key.substr(7), entry.dir));
    ++stats.removed;
  }
  UniqueFd sources(openat(fd_.get(), "sources", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (sources.valid()) {
    for (const auto& name : list_names(sources.get())) {
      auto text = read_file_at(sources.get(), name);
      auto j = text ? json::parse(*text, nullptr, false) : json();
      std::string key = j.is_object() ? j.value("key", "") : "";
      if (!find(key)) unlinkat(sources.get(), name.c_str(), 0);
    }
  }
  UniqueFd tmp(openat(fd_.get(), "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (tmp.valid()) stats.temps = remove_abandoned(tmp.get(), dir_ + "/tmp");
  return stats;
}

}  // namespace arca::image
