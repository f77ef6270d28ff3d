// Archive entry names -> paths inside the target, and OCI whiteouts. Pure.
//
// Safety starts here: a name that is absolute or has a ".." component is refused (the
// extractor additionally resolves every parent inside the target, so symlinks planted by
// earlier entries cannot lead out either).
#pragma once

#include <string>

#include "base/error.h"

namespace arca::image {

// "./usr//bin/" -> "usr/bin"; "." or "./" -> "" (the target itself). Errors for empty,
// absolute and ".." names say why.
Result<std::string> clean_entry_path(const std::string& name);

// An OCI/Docker layer's whiteout markers (image-spec layer.md):
//   dir/.wh.NAME      removes dir/NAME of the lower layers;
//   dir/.wh..wh..opq  hides everything of the lower layers in dir (opaque directory).
// Other ".wh..wh." names (aufs metadata) are ignored.
enum class WhiteoutKind { kNone, kRemove, kOpaque, kIgnore };
struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::kNone;
  std::string target;  // kRemove: the path to remove; kOpaque: the directory ("" = root)
};
// `path` is a cleaned path. A whiteout of "." or ".." is an error.
Result<Whiteout> classify_whiteout(const std::string& path);

// The directory part of a cleaned path ("a/b" -> "a", "a" -> "") and the last component.
std::string entry_parent(const std::string& path);
std::string entry_leaf(const std::string& path);

}  // namespace arca::image
