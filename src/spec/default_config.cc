#include "spec/default_config.h"

#include <unistd.h>

#include <string>
#include <vector>

namespace arca::spec {
namespace {

using nlohmann::json;

const char* const kVersion = "1.2.0";

json process_json() {
  // The minimal set Docker historically granted minus everything risky: enough to run a
  // shell and bind low ports.
  json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  return {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", json::array({"sh"})},
      // Two strings in braces would read as a key/value pair, hence json::array.
      {"env", json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "TERM=xterm"})},
      {"cwd", "/"},
      {"capabilities",
       {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
}

json mount(const char* destination, const char* type, const char* source,
           std::vector<std::string> options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = options;
  return m;
}

json mounts_json(bool rootless) {
  std::vector<std::string> devpts = {"nosuid",        "noexec",    "newinstance",
                                     "ptmxmode=0666", "mode=0620", "gid=5"};
  // Group 5 ("tty") is unlikely to be mapped in a rootless user namespace.
  if (rootless) devpts.pop_back();
  // A fresh sysfs needs a network namespace owned by the mounting user namespace, which
  // rootless containers do not get; binding the host's /sys is the fallback.
  json sys = rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
                      : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  return json::array({
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts", devpts),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      sys,
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
}

json namespaces_json(bool rootless) {
  std::vector<const char*> types =
      rootless ? std::vector<const char*>{"pid", "ipc", "uts", "mount", "user"}
               : std::vector<const char*>{"pid", "network", "ipc", "uts", "mount"};
  json out = json::array();
  for (const char* type : types) out.push_back({{"type", type}});
  return out;
}

json linux_json(bool rootless) {
  json linux_section = {
      {"namespaces", namespaces_json(rootless)},
      {"maskedPaths", json::array({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                   "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                   "/proc/sched_debug", "/sys/firmware", "/proc/scsi"})},
      {"readonlyPaths",
       json::array({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"})},
  };
  if (rootless) {
    auto map_to = [](unsigned id) {
      return json::array({{{"containerID", 0}, {"hostID", id}, {"size", 1}}});
    };
    linux_section["uidMappings"] = map_to(geteuid());
    linux_section["gidMappings"] = map_to(getegid());
  } else {
    // Deny every device by default; the runtime allows its default devices on top.
    linux_section["resources"] = {
        {"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  return linux_section;
}

}  // namespace

json default_config_json(bool rootless) {
  return {
      {"ociVersion", kVersion},
      {"process", process_json()},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runc"},  // kept as runc writes it, so configs diff cleanly
      {"mounts", mounts_json(rootless)},
      {"linux", linux_json(rootless)},
  };
}

}  // namespace arca::spec
