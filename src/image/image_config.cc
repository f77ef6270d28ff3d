#include "image/image_config.h"

namespace arca::image {

namespace {

using nlohmann::json;

Status read_strings(const json& obj, const char* key, const std::string& where,
                    std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_array()) return Error::invalid(where + key + ": must be an array of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) return Error::invalid(where + key + ": must be an array of strings");
    out->push_back(v.get<std::string>());
  }
  return {};
}

Status read_string(const json& obj, const char* key, const std::string& where, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (!it->is_string()) return Error::invalid(where + key + ": must be a string");
  *out = it->get<std::string>();
  return {};
}

// The same five members under either spelling: the image config's ("Env") or ours.
Result<ImageConfig> read_members(const json& obj, const std::string& where, bool ours) {
  ImageConfig c;
  if (!obj.is_object()) return Error::invalid(where + ": must be an object");
  std::string prefix = where.empty() ? "" : where + ".";
  ARCA_TRY(read_strings(obj, ours ? "env" : "Env", prefix, &c.env));
  ARCA_TRY(read_strings(obj, ours ? "entrypoint" : "Entrypoint", prefix, &c.entrypoint));
  ARCA_TRY(read_strings(obj, ours ? "cmd" : "Cmd", prefix, &c.cmd));
  ARCA_TRY(read_string(obj, ours ? "workingDir" : "WorkingDir", prefix, &c.working_dir));
  ARCA_TRY(read_string(obj, ours ? "user" : "User", prefix, &c.user));
  return c;
}

}  // namespace

Result<ImageConfig> parse_image_config(const json& blob) {
  if (!blob.is_object()) return Error::invalid("image config: must be a JSON object");
  auto it = blob.find("config");
  if (it == blob.end() || it->is_null()) return ImageConfig{};
  auto parsed = read_members(*it, "config", false);
  if (!parsed) return std::move(parsed).error().context("image config");
  return parsed;
}

json to_json(const ImageConfig& c) {
  return {{"env", c.env},
          {"entrypoint", c.entrypoint},
          {"cmd", c.cmd},
          {"workingDir", c.working_dir},
          {"user", c.user}};
}

Result<ImageConfig> image_config_from_json(const json& j) { return read_members(j, "", true); }

}  // namespace arca::image
