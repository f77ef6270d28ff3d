// Reading tar archives (ustar, pax, GNU; plain or gzip/xz/zstd-compressed, recognised by
// content) with libarchive. Only reading: writing the entries to disk safely is the
// extractor's job (image/extract.h), so libarchive never touches the file system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace arca::image {

enum class EntryType { kFile, kDirectory, kSymlink, kHardlink, kFifo, kDevice, kOther };

struct Entry {
  std::string name;  // as in the archive
  EntryType type = EntryType::kOther;
  mode_t mode = 0;  // permission bits, with set-id and sticky bits
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t size = 0;
  int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  std::string link;  // symlink target, or the hardlink's target name
  std::vector<std::pair<std::string, std::string>> xattrs;
};

class ArchiveReader {
 public:
  // Reads the archive from a byte source: returns the number of bytes put into buf, 0 at
  // its end.
  using Source = std::function<Result<size_t>(char* buf, size_t size)>;

  // `name` says which archive in errors ("alpine.tar.gz", "layer sha256:...").
  static Result<ArchiveReader> open_fd(int fd, const std::string& name);
  static Result<ArchiveReader> open_source(Source source, const std::string& name);
  static Result<ArchiveReader> open_memory(const void* data, size_t size, const std::string& name);

  ArchiveReader(ArchiveReader&&) noexcept;
  ArchiveReader& operator=(ArchiveReader&&) noexcept;
  ~ArchiveReader();

  // The next entry's header, nullopt at the end of the archive.
  Result<std::optional<Entry>> next();
  // The current entry's data; 0 at its end.
  Result<size_t> read(void* buf, size_t size);
  // Bytes read so far from the underlying (compressed) input, for progress bars.
  uint64_t consumed() const;

  struct Impl;  // libarchive's state

 private:
  explicit ArchiveReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace arca::image
