// Small file helpers of the image cache and the shell's scratch directories.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::image {

// mkdir -p of an absolute or relative path (new directories get `mode`); returns the
// last directory opened O_DIRECTORY.
Result<UniqueFd> make_dirs(const std::string& path, mode_t mode);

// Creates dir_fd/name, which must not exist yet, with `content` (for files in a directory
// nobody else writes to: no temp file and rename needed).
Status create_file_at(int dir_fd, const std::string& name, const std::string& content, mode_t mode);

// Reads dir_fd/name (not following a final symlink), at most `limit` bytes.
Result<std::string> read_file_at(int dir_fd, const std::string& name, size_t limit = 1 << 20);

// Reads everything from fd, at most `limit` bytes ("too large" beyond).
Result<std::string> read_all(int fd, size_t limit, const std::string& what);

// The names in the directory open at dir_fd, without "." and "..".
Result<std::vector<std::string>> list_dir(int dir_fd, const std::string& where);

// Writes all of `data` to fd.
Status write_all(int fd, const void* data, size_t size, const std::string& what);

}  // namespace arca::image
