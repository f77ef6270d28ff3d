// Device nodes: runc's default set on a fresh /dev plus linux.devices.
#include <sys/stat.h>

#include <set>

#include "plan/launch.h"

namespace arca::plan {
namespace {

// The kernel's dev_t encoding (new_encode_dev) has 12 bits of major and 20 of minor.
constexpr int64_t kMaxMajor = 0xfff;
constexpr int64_t kMaxMinor = 0xfffff;

Result<mode_t> device_type(const std::string& type) {
  if (type == "c" || type == "u") return static_cast<mode_t>(S_IFCHR);
  if (type == "b") return static_cast<mode_t>(S_IFBLK);
  if (type == "p") return static_cast<mode_t>(S_IFIFO);
  return Error::invalid("unknown device type " + quote(type));
}

Result<DeviceNode> make_node(const spec::Device& device, const std::string& at) {
  DeviceNode node;
  auto type = device_type(device.type);
  if (!type) return std::move(type).error().context(at + "/type");
  node.type = *type;
  if (device.path.empty() || device.path[0] != '/') {
    return Error::invalid(at + "/path: " + quote(device.path) + " is not an absolute path");
  }
  node.path = clean_path(device.path);
  // A fifo has no device number; mknod ignores it.
  if (node.type != S_IFIFO) {
    if (device.major < 0 || device.major > kMaxMajor) {
      return Error::invalid(at + "/major: " + std::to_string(device.major) + " out of range");
    }
    if (device.minor < 0 || device.minor > kMaxMinor) {
      return Error::invalid(at + "/minor: " + std::to_string(device.minor) + " out of range");
    }
    node.major = static_cast<uint32_t>(device.major);
    node.minor = static_cast<uint32_t>(device.minor);
  }
  // Type bits in fileMode are redundant with "type"; only permissions reach mknod.
  node.mode = device.file_mode ? (*device.file_mode & 07777) : 0666;
  node.uid = device.uid.value_or(0);
  node.gid = device.gid.value_or(0);
  return node;
}

}  // namespace

std::vector<DeviceNode> default_devices() {
  auto node = [](const char* path, uint32_t major, uint32_t minor) {
    DeviceNode d;
    d.path = path;
    d.type = S_IFCHR;
    d.major = major;
    d.minor = minor;
    d.mode = 0666;
    return d;
  };
  return {node("/dev/null", 1, 3),   node("/dev/zero", 1, 5),    node("/dev/full", 1, 7),
          node("/dev/random", 1, 8), node("/dev/urandom", 1, 9), node("/dev/tty", 5, 0)};
}

Status plan_devices(const spec::Config& config, Launch* launch) {
  std::vector<DeviceNode> configured;
  std::set<std::string> paths;
  for (size_t i = 0; i < config.linux.devices.size(); ++i) {
    const std::string at = "/linux/devices/" + std::to_string(i);
    ARCA_ASSIGN(DeviceNode node, make_node(config.linux.devices[i], at));
    // Two nodes at one path cannot both exist; refusing beats letting one silently win.
    if (!paths.insert(node.path).second) {
      return Error::invalid(at + "/path: duplicate device " + quote(node.path));
    }
    configured.push_back(std::move(node));
  }

  launch->devices.clear();
  if (launch->dev_is_tmpfs) {
    for (auto& node : default_devices()) {
      if (!paths.count(node.path)) launch->devices.push_back(std::move(node));
    }
  }
  for (auto& node : configured) launch->devices.push_back(std::move(node));
  return {};
}

}  // namespace arca::plan
