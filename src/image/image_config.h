// What an image says about how to run it: the parts of an OCI image config (or a Docker
// image's "config") that `arca shell` honours.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace arca::image {

struct ImageConfig {
  std::vector<std::string> env;         // "K=V"
  std::vector<std::string> entrypoint;  // prepended to the command
  std::vector<std::string> cmd;         // default command
  std::string working_dir;
  std::string user;  // "uid[:gid]" or "name[:group]"
};

// Reads the "config" member of an OCI/Docker image config blob. Missing members are
// empty; members of the wrong type are errors naming them ("config.Env: ...").
Result<ImageConfig> parse_image_config(const nlohmann::json& blob);

// The form arca keeps beside a cached root (image.json) and reads back.
nlohmann::json to_json(const ImageConfig& config);
Result<ImageConfig> image_config_from_json(const nlohmann::json& j);

}  // namespace arca::image
