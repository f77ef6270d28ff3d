#include "image/import.h"

#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "image/sha256.h"

namespace arca::image {

namespace {

void add(ExtractStats& total, const ExtractStats& more) {
  total.entries += more.entries;
  total.bytes += more.bytes;
  total.skipped_devices += more.skipped_devices;
}

Result<ImageConfig> read_config(const ImageStore& store, const BlobRef& ref) {
  ARCA_ASSIGN(std::string text, store.load(ref.path));
  if (!ref.digest.empty() && sha256_of(text) != ref.digest) {
    return Error::invalid("image config " + ref.digest + ": digest mismatch");
  }
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error::invalid("image config " + quote(ref.path) + ": not valid JSON");
  return parse_image_config(j);
}

// One layer: a tar (maybe compressed) streamed from the store through a hash.
Result<ExtractStats> apply_layer(const ImageStore& store, const BlobRef& layer, int root_fd,
                                 Progress* progress, uint64_t done_before) {
  std::string what = "layer " + (layer.digest.empty() ? quote(layer.path) : layer.digest);
  if (!store.has(layer.path)) return Error(ENOENT, what + ": not in the image");
  Sha256 hash;
  ExtractStats stats;
  ARCA_TRY(store.stream(layer.path, [&](const ArchiveReader::Source& source) -> Status {
    ArchiveReader::Source hashed = [&](char* buf, size_t size) -> Result<size_t> {
      ARCA_ASSIGN(size_t n, source(buf, size));
      hash.update(buf, n);
      return n;
    };
    ARCA_ASSIGN(ArchiveReader reader, ArchiveReader::open_source(hashed, what));
    ExtractOptions options;
    options.layer = true;
    if (progress != nullptr) {
      options.progress = [&](uint64_t consumed) { progress->update(done_before + consumed); };
    }
    ARCA_ASSIGN(stats, extract(reader, root_fd, options));
    // The digest covers every byte, also the padding after the tar's end marker.
    char buf[1 << 16];
    for (;;) {
      ARCA_ASSIGN(size_t n, hashed(buf, sizeof buf));
      if (n == 0) return {};
    }
  }));
  if (!layer.digest.empty() && hash.digest() != layer.digest) {
    return Error::invalid(what + ": digest mismatch (the archive is corrupt)");
  }
  return stats;
}

}  // namespace

Result<Imported> import_tarball(const std::string& path, int root_fd, Progress* progress) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(path));
  ARCA_ASSIGN(ArchiveReader reader, ArchiveReader::open_fd(fd.get(), path));
  ExtractOptions options;
  if (progress != nullptr) options.progress = [&](uint64_t done) { progress->update(done); };
  Imported out;
  ARCA_ASSIGN(out.stats, extract(reader, root_fd, options));
  return out;
}

Result<Imported> import_image(const ImageStore& store, const ImagePlan& plan, int root_fd,
                              Progress* progress) {
  Imported out;
  out.name = plan.name;
  ARCA_ASSIGN(out.config, read_config(store, plan.config));
  uint64_t done = 0;
  for (const auto& layer : plan.layers) {
    ARCA_ASSIGN(ExtractStats stats, apply_layer(store, layer, root_fd, progress, done));
    add(out.stats, stats);
    int64_t size = store.size(layer.path);
    done += size > 0 ? static_cast<uint64_t>(size) : 0;
  }
  return out;
}

}  // namespace arca::image
