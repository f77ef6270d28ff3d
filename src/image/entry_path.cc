#include "image/entry_path.h"

#include <string_view>

#include "rootfs/resolve.h"

namespace arca::image {

namespace {

// string_view, not std::string: no static initialiser runs (and no destructor is
// registered) for every arca command.
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kMetaPrefix = ".wh..wh.";

}  // namespace

Result<std::string> clean_entry_path(const std::string& name) {
  if (name.empty()) return Error::invalid("archive entry with an empty name");
  if (name.front() == '/') {
    return Error::invalid("archive entry " + quote(name) + ": absolute name");
  }
  std::string out;
  for (const auto& part : rootfs::split_path(name)) {
    if (part == "..") {
      return Error::invalid("archive entry " + quote(name) + ": \"..\" leads out of the root");
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string entry_parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string entry_leaf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<Whiteout> classify_whiteout(const std::string& path) {
  std::string leaf = entry_leaf(path);
  if (leaf.compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) != 0) return Whiteout{};
  std::string dir = entry_parent(path);
  if (leaf == kOpaqueMarker) return Whiteout{WhiteoutKind::kOpaque, dir};
  if (leaf.compare(0, kMetaPrefix.size(), kMetaPrefix) == 0) {
    return Whiteout{WhiteoutKind::kIgnore, ""};
  }
  std::string hidden = leaf.substr(kWhiteoutPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == "..") {
    return Error::invalid("archive entry " + quote(path) + ": whiteout of " + quote(hidden));
  }
  return Whiteout{WhiteoutKind::kRemove, dir.empty() ? hidden : dir + "/" + hidden};
}

}  // namespace arca::image
