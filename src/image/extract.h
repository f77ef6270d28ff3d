// Writing archive entries into a directory, never outside it.
//
// What keeps every write inside the target (each one a trick an archive may try):
// - names: absolute names and ".." components are refused (entry_path.h);
// - parents: every parent directory is resolved with openat2(RESOLVE_IN_ROOT), so a
//   symlink planted by an earlier entry ("evil -> /etc", then "evil/passwd") is followed
//   as the container would follow it, inside the target;
// - the last component is never followed: whatever exists there is removed first and
//   the new file is created O_EXCL|O_NOFOLLOW, so no write goes through an existing
//   symlink or hardlink;
// - hardlink targets are names inside the target, cleaned and resolved the same way;
// - device nodes are skipped (the container gets its own /dev); fifos are created.
// Owners are kept when running as root; modes (set-id bits included), mtimes and the
// security.capability / user.* xattrs are kept. Directory modes are applied last, so a
// read-only directory in an archive does not block its own entries.
#pragma once

#include <cstdint>
#include <functional>

#include "base/error.h"
#include "image/archive_reader.h"

namespace arca::image {

struct ExtractOptions {
  // An image layer: whiteouts remove what lower layers (already in the target) put there.
  bool layer = false;
  // Called now and then with ArchiveReader::consumed().
  std::function<void(uint64_t)> progress;
  // Stop with an error beyond this much file data (0: no limit); the fuzzer's guard
  // against decompression bombs.
  uint64_t max_bytes = 0;
};

struct ExtractStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;            // file data written
  uint64_t skipped_devices = 0;  // block/char devices and sockets left out
};

// Extracts every entry from `reader` into the directory open at `root_fd`. Stops at the
// first bad entry; the caller removes the partial tree.
Result<ExtractStats> extract(ArchiveReader& reader, int root_fd, const ExtractOptions& options);

}  // namespace arca::image
