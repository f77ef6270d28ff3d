// --rootfs PATH -> a directory to use as the shell's read-only base, plus what the image
// says about running it.
//
// PATH may be a root directory, an OCI image layout directory, a tarball (.tar, .tar.gz,
// .tar.xz, .tar.zst: recognised by content, not name), an OCI archive or a `docker save`
// archive. Archives and layouts are unpacked once into the content-addressed cache
// (image/cache.h) and reused from there.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/image_config.h"

namespace arca::image {

struct RootRequest {
  std::string source;     // --rootfs; absolute or relative to the working directory
  std::string image;      // --image NAME: which image of a multi-image archive
  std::string cache_dir;  // the image cache (<work>/images)
  bool progress = false;  // draw a progress bar on stderr while unpacking
};

struct ResolvedRoot {
  std::string path;        // absolute directory: the base of the shell's root
  bool plain_dir = false;  // a root directory of the user's (--rw may write into it)
  std::string digest;      // the cache key ("sha256:..."); empty for a plain directory
  ImageConfig config;      // empty for a plain directory or tarball
  std::string name;        // the image's name (an OCI ref name or a RepoTag), if any
  // A cache entry: the cache lock, held shared so that `arca images prune` cannot remove
  // the entry before the caller has pinned it (ShellRoot::pin_image); then drop it.
  UniqueFd cache_lock;
};

Result<ResolvedRoot> resolve_root(const RootRequest& request);

// The built-in root beside the binary at `exe` (<dir>/share/arca/rootfs in a build tree,
// <dir>/../share/arca/rootfs when installed), else <datadir>/rootfs.
Result<std::string> builtin_root(const std::string& exe, const std::string& datadir);

}  // namespace arca::image
