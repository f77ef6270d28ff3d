#include "cgroups/container_resources.h"

#include <algorithm>

namespace arca::cgroups {

std::vector<DeviceRule> default_device_rules(const std::vector<std::string>& configured_paths) {
  struct Default {
    const char* path;  // nullptr: a rule without a node
    char type;
    std::optional<int64_t> major, minor;
    const char* access;
  };
  const Default defaults[] = {
      {nullptr, 'c', std::nullopt, std::nullopt, "m"},
      {nullptr, 'b', std::nullopt, std::nullopt, "m"},
      {"/dev/null", 'c', 1, 3, "rwm"},
      {"/dev/random", 'c', 1, 8, "rwm"},
      {"/dev/full", 'c', 1, 7, "rwm"},
      {"/dev/tty", 'c', 5, 0, "rwm"},
      {"/dev/zero", 'c', 1, 5, "rwm"},
      {"/dev/urandom", 'c', 1, 9, "rwm"},
      {nullptr, 'c', 136, std::nullopt, "rwm"},  // /dev/pts/*
      {nullptr, 'c', 5, 2, "rwm"},               // /dev/ptmx
  };
  std::vector<DeviceRule> out;
  for (const auto& d : defaults) {
    if (d.path != nullptr && std::count(configured_paths.begin(), configured_paths.end(), d.path)) {
      continue;
    }
    out.push_back(DeviceRule{true, d.type, d.major, d.minor, d.access});
  }
  return out;
}

Result<std::optional<Resources>> container_resources(const spec::Config& config, bool privileged) {
  Resources resources;
  if (config.linux.resources) {
    auto parsed = parse_resources(*config.linux.resources);
    if (!parsed) return std::move(parsed).error().context("config.json");
    resources = std::move(parsed).value();
  } else if (!privileged) {
    return std::optional<Resources>();
  }
  // An unprivileged caller cannot write device rules (v1) or attach programs (v2): it gets
  // only the ones it asked for.
  if (!privileged && !resources.devices) return std::optional<Resources>(std::move(resources));
  std::vector<std::string> paths;
  for (const auto& d : config.linux.devices) paths.push_back(d.path);
  if (!resources.devices) {
    resources.devices.emplace();
    resources.devices_best_effort = true;
  }
  for (auto& rule : default_device_rules(paths)) resources.devices->push_back(std::move(rule));
  return std::optional<Resources>(std::move(resources));
}

}  // namespace arca::cgroups
