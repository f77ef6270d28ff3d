// The OCI runtime-spec 1.2 configuration (config.json) as typed data.
//
// Only the shape lives here; parsing with JSON-pointer errors is in parse.h, defaults for
// `arca spec` in default_config.h. Sections owned by later work (linux.resources,
// linux.seccomp) are kept as raw JSON so nothing the user wrote is lost.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace arca::spec {

struct Root {
  std::string path;
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::string type;  // empty when not given
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;
};

struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct IoPriority {
  std::string klass;  // "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE"
  int32_t priority = 0;
};

struct Scheduler {
  std::string policy;  // "SCHED_OTHER", ...
  int32_t nice = 0;
  int32_t priority = 0;
  std::vector<std::string> flags;
  uint64_t runtime = 0;
  uint64_t deadline = 0;
  uint64_t period = 0;
};

struct ExecCpuAffinity {
  std::string initial;
  std::string final;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::string command_line;  // Windows only; rejected on Linux when set
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int32_t> oom_score_adj;
  std::string selinux_label;
  std::optional<IoPriority> io_priority;
  std::optional<Scheduler> scheduler;
  std::optional<ExecCpuAffinity> exec_cpu_affinity;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int32_t> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart;
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

struct Namespace {
  std::string type;  // "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"
  std::string path;  // join this namespace when set
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Device {
  std::string type;  // "c", "b", "u" or "p"
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct Personality {
  std::string domain;  // "LINUX" | "LINUX32"
  std::vector<std::string> flags;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "boottime", "monotonic"
  std::vector<Device> devices;
  std::string cgroups_path;
  std::optional<nlohmann::json> resources;  // owned by the cgroups work
  std::string rootfs_propagation;
  std::optional<nlohmann::json> seccomp;  // owned by the security work
  std::map<std::string, std::string> sysctl;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::optional<nlohmann::json> intel_rdt;
  std::optional<Personality> personality;
};

struct Config {
  std::string oci_version;
  Root root;
  std::vector<Mount> mounts;
  Process process;
  bool has_process = false;
  std::string hostname;
  bool has_hostname = false;
  std::string domainname;
  bool has_domainname = false;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;
  bool has_linux = false;
};

}  // namespace arca::spec
