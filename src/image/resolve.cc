#include "image/resolve.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

namespace arca::image {

namespace {

bool is_dir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<ResolvedRoot> resolve_root(const RootRequest& request) {
  char resolved[PATH_MAX];
  if (realpath(request.source.c_str(), resolved) == nullptr) {
    return Error::os("--rootfs " + quote(request.source));
  }
  ResolvedRoot root;
  root.path = resolved;
  if (!is_dir(root.path)) return Error::invalid("--rootfs " + quote(request.source) + ": unknown format");
  root.plain_dir = true;
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
