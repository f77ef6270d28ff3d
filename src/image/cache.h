// The content-addressed image cache: <dir>/sha256/<hex>/{rootfs/,image.json}.
//
// - Keys are digests: of the archive file (and the --image name, when one is chosen), or
//   of the manifest for an OCI layout directory. The same content is unpacked once.
// - Unpacking happens in <dir>/tmp/<random>/ (locked while it runs) and is renamed into
//   place, so an interrupted import never leaves a half entry; unlocked temp dirs are
//   removed by later imports and by prune.
// - <dir>/sources/ remembers which key an archive path had at which (dev, inode, size,
//   mtime, ctime), so starting a shell on a cached archive does not hash it again.
// - <dir>/lock: shells hold it shared from resolving an image until their scratch dir
//   names the entry (image/shell_root.h); prune holds it exclusively.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::image {

// The directory holding images/ (this cache) and shells/ (image/shell_root.h): the
// --cache-dir flag, else $ARCA_CACHE_DIR, else /var/lib/arca.
std::string work_dir(const std::string& flag);

struct CacheEntry {
  std::string key;                                 // "sha256:<hex>"
  std::string dir;                                 // <cache>/sha256/<hex>
  nlohmann::json meta = nlohmann::json::object();  // image.json
  std::string rootfs() const { return dir + "/rootfs"; }
};

struct PruneStats {
  int removed = 0;  // cache entries
  int kept = 0;     // in use by a running shell
  int temps = 0;    // abandoned imports
};

class Cache {
 public:
  static Result<Cache> open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  Result<UniqueFd> lock(bool exclusive) const;

  std::optional<CacheEntry> find(const std::string& key) const;
  // Unpacks with `fill` (given the new rootfs/ directory; returns what image.json should
  // hold besides the key) into a temp dir, then renames it into place. When another
  // import of the same key won the race, theirs is returned.
  Result<CacheEntry> add(const std::string& key,
                         const std::function<Result<nlohmann::json>(int rootfs_fd)>& fill) const;

  std::optional<std::string> remembered_key(const std::string& source, const std::string& image,
                                            const struct stat& st) const;
  void remember(const std::string& source, const std::string& image, const struct stat& st,
                const std::string& key) const;

  Result<std::vector<CacheEntry>> list() const;
  // Removes every entry whose key is not in `keep`, and abandoned temp dirs.
  Result<PruneStats> prune(const std::set<std::string>& keep) const;

 private:
  std::string dir_;
  UniqueFd fd_;
};

}  // namespace arca::image
