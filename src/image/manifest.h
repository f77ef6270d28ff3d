// Which blobs make up an image: OCI index/manifests and Docker's manifest.json, read into
// a plan of paths (inside the layout or archive) and digests. Pure: blobs are fetched
// through a callback, so tests drive it with a map.
//
// OCI (image-spec 1.1): index.json lists manifests (or nested indexes, from which the
// host's platform is picked); a manifest names the config and the layers, bottom first.
// `docker save`: manifest.json is an array of {Config, RepoTags, Layers} with paths.
// An archive holding several images needs --image NAME (matched against the OCI ref name
// annotations or Docker's RepoTags; "alpine" matches "alpine:latest" and
// "docker.io/library/alpine:latest").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace arca::image {

struct BlobRef {
  std::string path;    // inside the layout/archive: "blobs/sha256/<hex>", "abc/layer.tar"
  std::string digest;  // "sha256:<hex>" to verify, "" when the format gives none
};

struct ImagePlan {
  std::string name;             // what the image is called, for messages and `arca images`
  std::string manifest_digest;  // OCI: the manifest's digest (the cache key of a layout)
  BlobRef config;
  std::vector<BlobRef> layers;  // bottom first
};

// Returns the content of a (small) file of the layout/archive by path.
using BlobLoader = std::function<Result<std::string>(const std::string& path)>;

// From index.json. `want` is --image (may be empty); `arch` the host's GOARCH ("amd64").
Result<ImagePlan> plan_oci(const std::string& index_json, const std::string& want,
                           const std::string& arch, const BlobLoader& load);

// From a `docker save` manifest.json.
Result<ImagePlan> plan_docker(const std::string& manifest_json, const std::string& want);

// "blobs/sha256/<hex>" for a valid sha256 digest, else an error.
Result<std::string> blob_path(const std::string& digest);

// Whether --image `want` names `candidate` (see above).
bool image_name_matches(const std::string& want, const std::string& candidate);

// The host's architecture in OCI/Go spelling ("amd64", "arm64", ...).
std::string host_arch();

}  // namespace arca::image
