// Checks of config.json "linux" and of the top-level values that depend on namespaces.
#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>

#include "spec/json_reader.h"
#include "validate/checks.h"

namespace arca::validate {
namespace {

constexpr std::string_view kNamespaces[] = {"pid", "network", "mount",  "ipc",
                                            "uts", "user",    "cgroup", "time"};
constexpr std::string_view kDeviceTypes[] = {"c", "b", "u", "p"};
constexpr std::string_view kPropagations[] = {"shared",  "slave",  "private",  "unbindable",
                                              "rshared", "rslave", "rprivate", "runbindable"};
constexpr std::string_view kClocks[] = {"boottime", "monotonic"};
constexpr std::string_view kPersonalityDomains[] = {"LINUX", "LINUX32"};

const spec::Namespace* find_namespace(const spec::Config& c, const char* type) {
  for (const spec::Namespace& ns : c.linux.namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

// Created for the container, as opposed to absent or joined by path.
bool creates_namespace(const spec::Config& c, const char* type) {
  const spec::Namespace* ns = find_namespace(c, type);
  return ns != nullptr && ns->path.empty();
}

Status check_mapping_sizes(const std::vector<spec::IdMapping>& mappings, const char* pointer) {
  for (std::size_t i = 0; i < mappings.size(); ++i) {
    if (mappings[i].size == 0) return fail(at(pointer, i) + "/size", "must be greater than 0");
  }
  return {};
}

Status check_absolute_list(const std::vector<std::string>& paths, const char* pointer) {
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (!is_absolute(paths[i])) return fail(at(pointer, i), "must be an absolute path");
  }
  return {};
}

}  // namespace

Status check_namespaces(const spec::Config& c, const std::string&) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < c.linux.namespaces.size(); ++i) {
    const spec::Namespace& ns = c.linux.namespaces[i];
    std::string ptr = at("/linux/namespaces", i);
    if (!known(kNamespaces, ns.type)) {
      return fail(ptr + "/type", "unknown namespace " + quote(ns.type));
    }
    if (!seen.insert(ns.type).second) return fail(ptr, "duplicate namespace " + quote(ns.type));
    if (!ns.path.empty() && !is_absolute(ns.path)) {
      return fail(ptr + "/path", "must be an absolute path");
    }
  }
  // Without a mount namespace every mount of the container would land on the host.
  if (seen.count("mount") == 0) return fail("/linux/namespaces", "a mount namespace is required");
  return {};
}

Status check_id_mappings(const spec::Config& c, const std::string&) {
  const spec::Linux& l = c.linux;
  // Mappings are written once, by the parent, into a user namespace it has just created;
  // a joined namespace already has its mappings.
  if (!creates_namespace(c, "user")) {
    if (!l.uid_mappings.empty()) return fail("/linux/uidMappings", "requires a new user namespace");
    if (!l.gid_mappings.empty()) return fail("/linux/gidMappings", "requires a new user namespace");
    return {};
  }
  const char* needs = "a user namespace needs uidMappings and gidMappings";
  if (l.uid_mappings.empty()) return fail("/linux/uidMappings", needs);
  if (l.gid_mappings.empty()) return fail("/linux/gidMappings", needs);
  ARCA_TRY(check_mapping_sizes(l.uid_mappings, "/linux/uidMappings"));
  return check_mapping_sizes(l.gid_mappings, "/linux/gidMappings");
}

Status check_time_offsets(const spec::Config& c, const std::string&) {
  const auto& offsets = c.linux.time_offsets;
  if (offsets.empty()) return {};
  // Offsets can only be written before the first process enters a new time namespace.
  if (!creates_namespace(c, "time")) {
    return fail("/linux/timeOffsets", "requires a new time namespace");
  }
  for (const auto& [clock, offset] : offsets) {
    std::string ptr = "/linux/timeOffsets/" + spec::pointer_token(clock);
    if (!known(kClocks, clock)) return fail(ptr, "unknown clock " + quote(clock));
    if (offset.nanosecs >= 1000000000) {
      return fail(ptr + "/nanosecs", "must be less than 1000000000");
    }
  }
  return {};
}

Status check_host_names(const spec::Config& c, const std::string&) {
  // Like runc, a joined uts namespace is accepted: the user asked to share it.
  bool has_uts = find_namespace(c, "uts") != nullptr;
  if (c.has_hostname && !c.hostname.empty() && !has_uts) {
    return fail("/hostname", "requires a new uts namespace");
  }
  if (c.has_domainname && !c.domainname.empty() && !has_uts) {
    return fail("/domainname", "requires a new uts namespace");
  }
  return {};
}

Status check_devices(const spec::Config& c, const std::string&) {
  for (std::size_t i = 0; i < c.linux.devices.size(); ++i) {
    const spec::Device& d = c.linux.devices[i];
    std::string ptr = at("/linux/devices", i);
    if (!known(kDeviceTypes, d.type))
      return fail(ptr + "/type", "unknown device type " + quote(d.type));
    if (!is_absolute(d.path)) return fail(ptr + "/path", "must be an absolute path");
    if (d.major < 0) return fail(ptr + "/major", "must not be negative");
    if (d.minor < 0) return fail(ptr + "/minor", "must not be negative");
  }
  return {};
}

Status check_rootfs_propagation(const spec::Config& c, const std::string&) {
  const std::string& p = c.linux.rootfs_propagation;
  if (!p.empty() && !known(kPropagations, p)) {
    return fail("/linux/rootfsPropagation", "unknown propagation " + quote(p));
  }
  return {};
}

Status check_unsupported(const spec::Config& c, const std::string&) {
  if (c.linux.intel_rdt) return fail("/linux/intelRdt", "is not supported");
  return {};
}

Status check_personality(const spec::Config& c, const std::string&) {
  if (c.linux.personality && !known(kPersonalityDomains, c.linux.personality->domain)) {
    return fail("/linux/personality/domain",
                "unknown domain " + quote(c.linux.personality->domain));
  }
  return {};
}

Status check_sysctl(const spec::Config& c, const std::string&) {
  // Whether a key is namespaced depends on the namespaces in force; plan decides that.
  if (c.linux.sysctl.count("") != 0) return fail("/linux/sysctl", "keys must not be empty");
  return {};
}

Status check_path_lists(const spec::Config& c, const std::string&) {
  ARCA_TRY(check_absolute_list(c.linux.masked_paths, "/linux/maskedPaths"));
  return check_absolute_list(c.linux.readonly_paths, "/linux/readonlyPaths");
}

}  // namespace arca::validate
