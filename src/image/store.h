// The files of an image: an OCI layout directory, or an OCI / `docker save` archive read
// in place (no unpacking of the archive itself: small files are kept in memory by the
// first pass, big blobs are streamed from the archive when their layer is applied).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/archive_reader.h"

namespace arca::image {

enum class ArchiveKind { kRootfs, kOci, kDocker };

// What a first pass over an archive learnt.
struct ArchiveScan {
  ArchiveKind kind = ArchiveKind::kRootfs;
  std::map<std::string, std::string> small;  // path -> content (files up to a limit)
  std::map<std::string, int64_t> sizes;      // path -> size of every regular file
  std::map<std::string, std::string> links;  // path -> target path (docker dedups layers)
};

// Reads the archive's headers: an archive whose top level looks like an image (blobs/,
// index.json, oci-layout, manifest.json, <id>/...) is an image; anything else is a root
// file system tarball, known at its first such entry.
Result<ArchiveScan> scan_archive(ArchiveReader& reader);

class ImageStore {
 public:
  static Result<ImageStore> open_layout(const std::string& dir);
  // `archive` is the path again: big blobs are read in later passes.
  static ImageStore from_scan(const std::string& archive, ArchiveScan scan);

  bool has(const std::string& path) const;
  int64_t size(const std::string& path) const;              // -1 when unknown
  Result<std::string> load(const std::string& path) const;  // a small file
  // Calls `use` with a Source streaming the file.
  Status stream(const std::string& path,
                const std::function<Status(const ArchiveReader::Source&)>& use) const;

 private:
  ImageStore() = default;
  Result<std::string> resolve(const std::string& path) const;  // follows archive links
  std::string origin_;  // the layout dir or the archive, for messages
  UniqueFd layout_;     // the layout directory, or invalid for an archive
  ArchiveScan scan_;
};

}  // namespace arca::image
