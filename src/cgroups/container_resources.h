// The resources create applies to a container: linux.resources parsed, with the device
// rules every container gets appended (runc's AllowedDevices).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "cgroups/resources.h"
#include "spec/config.h"

namespace arca::cgroups {

// Appended after linux.resources.devices, as runc does, so that the devices the runtime
// supplies (runtime-spec "Default Devices") stay usable whatever the allowlist says:
// mknod of any node (opening one still needs a rule), /dev/null, zero, full, random,
// urandom, tty, ptmx and the pseudo-terminals (136:*). A default with a path is left out
// when linux.devices has a node at that path: the configured node takes its place.
std::vector<DeviceRule> default_device_rules(const std::vector<std::string>& configured_paths);

// linux.resources with default_device_rules() appended to its devices. Without
// linux.resources: nullopt for an unprivileged caller (no cgroups are made for it), else
// just the device rules, so that a container's devices are restricted all the same (runc).
// An unprivileged caller whose resources have no devices gets none added. Rules the config
// did not ask for are best effort (Resources::devices_best_effort).
// Errors name the JSON pointer, prefixed "config.json".
Result<std::optional<Resources>> container_resources(const spec::Config& config, bool privileged);

}  // namespace arca::cgroups
