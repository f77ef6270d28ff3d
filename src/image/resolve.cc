#include "image/resolve.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "base/log.h"
#include "image/cache.h"
#include "image/import.h"
#include "image/manifest.h"
#include "image/sha256.h"
#include "image/store.h"

namespace arca::image {

namespace {

using nlohmann::json;

bool is_dir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

json meta_of(const Imported& imported, const std::string& source, const std::string& image) {
  return {{"source", source},
          {"image", image},
          {"name", imported.name},
          {"config", to_json(imported.config)},
          {"entries", imported.stats.entries},
          {"bytes", imported.stats.bytes}};
}

Result<ResolvedRoot> from_entry(const CacheEntry& entry, UniqueFd lock) {
  log::debug("image: root " + entry.key + " from the cache");
  ResolvedRoot root;
  root.path = entry.rootfs();
  root.digest = entry.key;
  root.name = entry.meta.value("name", "");
  if (auto c = entry.meta.find("config"); c != entry.meta.end()) {
    auto config = image_config_from_json(*c);
    if (!config) return std::move(config).error().context("cache entry " + entry.key);
    root.config = *config;
  }
  root.cache_lock = std::move(lock);
  return root;
}

uint64_t layers_size(const ImageStore& store, const ImagePlan& plan) {
  uint64_t total = 0;
  for (const auto& layer : plan.layers) {
    int64_t size = store.size(layer.path);
    if (size > 0) total += static_cast<uint64_t>(size);
  }
  return total;
}

Result<Imported> import_store(const ImageStore& store, const ImagePlan& plan, int rootfs_fd,
                              const RootRequest& request, const std::string& label) {
  Progress progress(request.progress, label, layers_size(store, plan));
  return import_image(store, plan, rootfs_fd, &progress);
}

// A file: a root file system tarball, an OCI archive or a `docker save` archive.
Result<json> unpack_archive(const std::string& path, const struct stat& st, int rootfs_fd,
                            const RootRequest& request) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(path));
  ARCA_ASSIGN(ArchiveReader reader, ArchiveReader::open_fd(fd.get(), path));
  ARCA_ASSIGN(ArchiveScan scan, scan_archive(reader));
  std::string label = "arca: unpacking " + base_name(path);
  Imported imported;
  if (scan.kind == ArchiveKind::kRootfs) {
    if (!request.image.empty()) {
      return Error::invalid("--image " + quote(request.image) + ": " + quote(path) +
                            " is a root file system tarball, not an image archive");
    }
    Progress progress(request.progress, label, static_cast<uint64_t>(st.st_size));
    ARCA_ASSIGN(imported, import_tarball(path, rootfs_fd, &progress));
  } else {
    bool oci = scan.kind == ArchiveKind::kOci;
    ImageStore store = ImageStore::from_scan(path, std::move(scan));
    BlobLoader load = [&store](const std::string& p) { return store.load(p); };
    ARCA_ASSIGN(std::string top, store.load(oci ? "index.json" : "manifest.json"));
    ARCA_ASSIGN(ImagePlan plan, oci ? plan_oci(top, request.image, host_arch(), load)
                                    : plan_docker(top, request.image));
    ARCA_ASSIGN(imported, import_store(store, plan, rootfs_fd, request, label));
  }
  return meta_of(imported, path, request.image);
}

Result<ResolvedRoot> resolve_archive(const std::string& path, const struct stat& st,
                                     const RootRequest& request) {
  ARCA_ASSIGN(Cache cache, Cache::open(request.cache_dir));
  ARCA_ASSIGN(UniqueFd lock, cache.lock(false));
  std::optional<std::string> key = cache.remembered_key(path, request.image, st);
  bool remembered = key.has_value();
  if (!key) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Error::os("open " + quote(path));
    ARCA_ASSIGN(std::string digest, sha256_of_fd(fd.get(), quote(path)));
    // One archive may hold several images: the chosen one is part of the key.
    key = request.image.empty() ? digest : sha256_of(digest + "\n" + request.image);
  }
  auto entry = cache.find(*key);
  if (!entry) {
    log::debug("image: unpacking " + quote(path) + " into the cache as " + *key);
    auto added = cache.add(
        *key, [&](int rootfs_fd) { return unpack_archive(path, st, rootfs_fd, request); });
    if (!added) return std::move(added).error();
    entry = std::move(added).value();
  }
  if (!remembered) cache.remember(path, request.image, st, *key);
  return from_entry(*entry, std::move(lock));
}

// An OCI image layout directory: keyed by the chosen manifest's digest.
Result<ResolvedRoot> resolve_layout(const std::string& dir, const RootRequest& request) {
  ARCA_ASSIGN(ImageStore store, ImageStore::open_layout(dir));
  BlobLoader load = [&store](const std::string& p) { return store.load(p); };
  ARCA_ASSIGN(std::string index, store.load("index.json"));
  ARCA_ASSIGN(ImagePlan plan, plan_oci(index, request.image, host_arch(), load));
  ARCA_ASSIGN(Cache cache, Cache::open(request.cache_dir));
  ARCA_ASSIGN(UniqueFd lock, cache.lock(false));
  auto entry = cache.find(plan.manifest_digest);
  if (!entry) {
    log::debug("image: unpacking " + quote(dir) + " into the cache as " + plan.manifest_digest);
    auto added = cache.add(plan.manifest_digest, [&](int rootfs_fd) -> Result<json> {
      ARCA_ASSIGN(Imported imported, import_store(store, plan, rootfs_fd, request,
                                                  "arca: unpacking " + base_name(dir)));
      return meta_of(imported, dir, request.image);
    });
    if (!added) return std::move(added).error();
    entry = std::move(added).value();
  }
  return from_entry(*entry, std::move(lock));
}

}  // namespace

Result<ResolvedRoot> resolve_root(const RootRequest& request) {
  char resolved[PATH_MAX];
  if (realpath(request.source.c_str(), resolved) == nullptr) {
    return Error::os("--rootfs " + quote(request.source));
  }
  std::string path = resolved;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Error::os("--rootfs " + quote(request.source));
  Result<ResolvedRoot> root = Error::invalid("");
  if (S_ISREG(st.st_mode)) {
    root = resolve_archive(path, st, request);
  } else if (S_ISDIR(st.st_mode) && access((path + "/oci-layout").c_str(), F_OK) == 0) {
    root = resolve_layout(path, request);
  } else if (S_ISDIR(st.st_mode)) {
    if (!request.image.empty()) {
      return Error::invalid("--image " + quote(request.image) + ": " + quote(request.source) +
                            " is a root directory, not an image");
    }
    ResolvedRoot plain;
    plain.path = path;
    plain.plain_dir = true;
    return plain;
  } else {
    return Error::invalid("--rootfs " + quote(request.source) +
                          ": unknown format (not a directory, tarball or image archive)");
  }
  if (!root) return std::move(root).error().context("--rootfs " + quote(request.source));
  return root;
}

Result<std::string> builtin_root(const std::string& exe, const std::string& datadir) {
  std::string dir = exe.substr(0, exe.rfind('/'));
  std::string candidates[] = {dir + "/share/arca/rootfs", dir + "/../share/arca/rootfs",
                              datadir + "/rootfs"};
  for (const auto& c : candidates) {
    char resolved[PATH_MAX];
    if (realpath(c.c_str(), resolved) != nullptr && is_dir(resolved)) return std::string(resolved);
  }
  return Error::invalid("no built-in root (looked for " + quote(candidates[0]) + ", " +
                        quote(candidates[1]) + " and " + quote(candidates[2]) +
                        "): run scripts/setup.sh, or give --rootfs");
}

}  // namespace arca::image
