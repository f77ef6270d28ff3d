// Root filesystem and config.json "mounts" -> MountSteps.
#include <sys/mount.h>

#include <algorithm>
#include <string_view>

#include "plan/launch.h"

namespace arca::plan {
namespace {

std::string pointer(size_t index, const std::string& field) {
  return "/mounts/" + std::to_string(index) + (field.empty() ? "" : "/" + field);
}

// `path` when absolute, else bundle/path; both lexically cleaned.
std::string against_bundle(const std::string& bundle, const std::string& path) {
  if (!path.empty() && path[0] == '/') return clean_path(path);
  return clean_path(bundle + "/" + path);
}

bool is_bind(const spec::Mount& mount, const MountOptions& options) {
  return mount.type == "bind" || options.bind;
}

Result<MountStep> make_step(const spec::Mount& mount, size_t index, const std::string& bundle) {
  // Idmapped mounts need mount_setattr(MOUNT_ATTR_IDMAP) with a user namespace fd, which the
  // rootfs layer does not do yet; mounting without the mapping would expose wrong owners.
  if (!mount.uid_mappings.empty())
    return Error::invalid(pointer(index, "uidMappings") + ": not supported yet");
  if (!mount.gid_mappings.empty())
    return Error::invalid(pointer(index, "gidMappings") + ": not supported yet");
  if (mount.destination.empty() || mount.destination[0] != '/') {
    return Error::invalid(pointer(index, "destination") + ": " + quote(mount.destination) +
                          " is not an absolute path");
  }
  auto options = parse_mount_options(mount.options);
  if (!options) return std::move(options).error().context(pointer(index, "options"));

  MountStep step;
  step.destination = clean_path(mount.destination);
  step.fstype = mount.type;
  step.source = mount.source;
  step.flags = options->flags;
  step.clear_flags = options->clear_flags;
  step.propagation = std::move(options->propagation);
  step.data = std::move(options->data);
  step.recursive_readonly = options->recursive_readonly;
  step.tmpcopyup = options->tmpcopyup;
  if (is_bind(mount, *options)) {
    if (mount.source.empty()) {
      return Error::invalid(pointer(index, "source") + ": a bind mount needs a source");
    }
    // type "bind" without a bind option is a plain (non-recursive) bind, as in runc.
    step.bind = true;
    step.flags |= MS_BIND;
    step.fstype = "bind";
    step.source = against_bundle(bundle, mount.source);
  }
  if (step.tmpcopyup && step.fstype != "tmpfs") {
    return Error::invalid(pointer(index, "options") + ": \"tmpcopyup\" needs a tmpfs mount");
  }
  return step;
}

// runc labels every new filesystem with mountLabel except proc, sysfs and cgroup2 (for a
// v1 "cgroup" mount, the tmpfs holding the hierarchies); binds keep the labels of what
// they show.
bool takes_mount_label(const MountStep& step) {
  if (step.bind) return false;
  for (const char* fstype : {"proc", "sysfs", "cgroup2"}) {
    if (step.fstype == fstype) return false;
  }
  return true;
}

}  // namespace

std::string clean_path(const std::string& path) {
  const bool absolute = !path.empty() && path[0] == '/';
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (!part.empty() && part != ".") {
      if (!out.empty() || absolute) out += '/';
      out += part;
    }
    start = end + 1;
  }
  if (out.empty()) return absolute ? "/" : ".";
  return out;
}

Status plan_filesystem(const spec::Config& config, const std::string& bundle, Launch* launch) {
  if (config.root.path.empty()) return Error::invalid("/root/path: must not be empty");
  launch->rootfs = against_bundle(bundle, config.root.path);
  launch->rootfs_readonly = config.root.readonly;
  if (!config.linux.rootfs_propagation.empty()) {
    auto flags = propagation_flags(config.linux.rootfs_propagation);
    if (!flags) return std::move(flags).error().context("/linux/rootfsPropagation");
    launch->rootfs_propagation = *flags;
  }

  launch->mounts.clear();
  launch->mount_label = config.linux.mount_label;
  for (size_t i = 0; i < config.mounts.size(); ++i) {
    ARCA_ASSIGN(MountStep step, make_step(config.mounts[i], i, bundle));
    if (takes_mount_label(step)) step.label = config.linux.mount_label;
    launch->mounts.push_back(std::move(step));
  }
  launch->dev_is_tmpfs =
      std::any_of(launch->mounts.begin(), launch->mounts.end(),
                  [](const MountStep& m) { return m.destination == "/dev" && !m.bind; });
  launch->masked_paths = config.linux.masked_paths;
  launch->readonly_paths = config.linux.readonly_paths;
  return {};
}

}  // namespace arca::plan
