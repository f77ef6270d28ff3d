// Unpacking an image into a directory: a root file system tarball as it is, or an image's
// layers bottom first with their whiteouts, each layer's digest checked as it streams.
#pragma once

#include <string>

#include "base/error.h"
#include "image/extract.h"
#include "image/image_config.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/store.h"

namespace arca::image {

struct Imported {
  std::string name;  // the image's name, when it has one
  ImageConfig config;
  ExtractStats stats;
};

// Extracts the tarball at `path` into the directory open at root_fd.
Result<Imported> import_tarball(const std::string& path, int root_fd, Progress* progress);

// Applies the planned image's layers into root_fd and reads its config.
Result<Imported> import_image(const ImageStore& store, const ImagePlan& plan, int root_fd,
                              Progress* progress);

}  // namespace arca::image
