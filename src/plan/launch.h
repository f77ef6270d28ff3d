// plan::Launch: everything the container's init needs, computed before clone().
//
// make_launch() is pure: it turns a validated spec::Config into flags, ordered steps and
// numbers, so the child after clone() only executes a checklist and never parses or
// decides. Unit tests drive it without privileges.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "spec/config.h"

namespace arca::plan {

// One namespace to join by path (setns), in the order they must be joined.
struct NamespaceJoin {
  int clone_flag = 0;  // CLONE_NEWNET, ...
  std::string type;    // spec name, for messages: "network"
  std::string path;
};

// One entry of config.json "mounts", reduced to syscall arguments.
struct MountStep {
  std::string source;                      // host path for binds (made absolute against the bundle)
  std::string destination;                 // absolute path inside the container
  std::string fstype;                      // "proc", "tmpfs", ...; "bind" for binds
  unsigned long flags = 0;                 // MS_* for mount(2), without propagation flags
  unsigned long clear_flags = 0;           // MS_* explicitly cleared ("rw", "suid", ...)
  std::vector<unsigned long> propagation;  // MS_SHARED/MS_PRIVATE/... [|MS_REC], in order
  std::string data;         // fs-specific options ("mode=755,size=65536k")
  bool bind = false;        // MS_BIND (rbind: also MS_REC in flags)
  bool recursive_readonly = false;  // "rro": mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)
  bool tmpcopyup = false;   // copy the rootfs contents of destination into the new tmpfs
  // linux.mountLabel, given to the filesystem as its SELinux context= option; empty for
  // binds, proc, sysfs and cgroup2 (as runc: they are never labelled that way).
  std::string label;
  // Binds and ro/nosuid/... on binds need a second remount pass (the kernel ignores
  // them on the initial MS_BIND).
  bool needs_remount() const;
};

struct DeviceNode {
  std::string path;  // absolute inside the container: "/dev/null"
  mode_t type = 0;   // S_IFCHR, S_IFBLK or S_IFIFO
  uint32_t major = 0;
  uint32_t minor = 0;
  mode_t mode = 0666;  // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string name;  // "RLIMIT_NOFILE", for messages
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// Capability sets as bit masks (bit N = capability number N).
struct CapSets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
};

struct Sysctl {
  std::string key;   // "net.ipv4.ip_forward", for messages
  std::string path;  // "/proc/sys/net/ipv4/ip_forward"
  std::string value;
};

struct Launch {
  // Namespaces.
  int clone_flags = 0;  // CLONE_NEW* created by the container
  std::vector<NamespaceJoin> joins;
  bool new_user_ns = false;
  // True when the init cannot be cloned directly into its namespaces: an existing user
  // or pid namespace has to be joined first, which needs an intermediate process.
  bool needs_intermediate = false;
  std::string uid_map;  // "0 1000 1\n..." written by the parent to /proc/PID/uid_map
  std::string gid_map;
  std::string time_offsets;  // "monotonic 1 0\nboottime 2 0\n" for /proc/PID/timens_offsets

  // Root filesystem.
  std::string rootfs;  // absolute host path
  bool rootfs_readonly = false;
  // Set by `arca shell`, not by config.json: the init mounts an overlay of these on
  // `rootfs` instead of binding it onto itself, so the copy-on-write root exists only in
  // the container's mount namespace and goes away with it.
  struct OverlayRoot {
    std::string lower;  // absolute host paths, without ',' ':' or '\'
    std::string upper;
    std::string work;
  };
  std::optional<OverlayRoot> rootfs_overlay;
  unsigned long rootfs_propagation = 0;  // MS_* (with MS_REC) or 0 for the default
  std::vector<MountStep> mounts;
  bool dev_is_tmpfs = false;        // "/dev" is mounted by the config: populate default devices
  std::vector<DeviceNode> devices;  // default devices (when dev_is_tmpfs) + linux.devices
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;  // linux.mountLabel (also for the tmpfs of masked directories)

  // Identity of the container.
  std::optional<std::string> hostname;
  std::optional<std::string> domainname;
  std::vector<Sysctl> sysctls;

  // Process.
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  std::optional<mode_t> umask;
  // Always set by make_launch (all empty without a capabilities section, as runc);
  // unset only in hand-made plans, where the process keeps what it has.
  std::optional<CapSets> caps;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::optional<unsigned long> personality;
  // process.terminal: the init's stdio and controlling terminal are a new pty's slave.
  bool terminal = false;
  uint16_t console_rows = 0;  // process.consoleSize; 0 x 0 leaves the kernel's default
  uint16_t console_cols = 0;
  // LSM labels for the container process, written to /proc/thread-self/attr/... before
  // execve (security/lsm.h).
  std::string apparmor_profile;
  std::string selinux_label;
};

// Turns a parsed config into a launch plan. `bundle` is the absolute bundle directory
// (relative root.path and bind sources are resolved against it). Errors name the JSON
// pointer of the offending value: "/linux/namespaces/2/type: unknown namespace \"foo\"".
Result<Launch> make_launch(const spec::Config& config, const std::string& bundle);

// Pieces of make_launch, exposed for tests and for `exec`.
struct MountOptions {
  unsigned long flags = 0;
  unsigned long clear_flags = 0;
  std::vector<unsigned long> propagation;
  bool bind = false;
  bool recursive_readonly = false;
  bool tmpcopyup = false;
  std::string data;
};
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);
Result<int> capability_number(const std::string& name);  // "CAP_SYS_ADMIN" -> 21
Result<int> rlimit_number(const std::string& name);      // "RLIMIT_NOFILE" -> 7
Result<int> namespace_flag(const std::string& type);     // "network" -> CLONE_NEWNET
// "net.ipv4.ip_forward" -> ok when namespaced in the given clone flags, else an error.
Status check_sysctl(const std::string& key, int clone_flags, bool joins_net, bool joins_ipc,
                    bool joins_uts);
std::string id_map_text(const std::vector<spec::IdMapping>& mappings);
std::vector<DeviceNode> default_devices();

// Added by the plan layer: the sections make_launch is built from, exposed for tests.
// Each fills its part of *launch; errors already carry the JSON pointer.
// Lexical clean that collapses "//", "/./" and trailing slashes but keeps ".." (the rootfs
// layer resolves it safely against the real tree).
std::string clean_path(const std::string& path);
// "rshared" -> MS_SHARED|MS_REC; error for anything that is not a propagation name.
Result<unsigned long> propagation_flags(const std::string& name);
Status plan_namespaces(const spec::Config& config, Launch* launch);
// Rootfs, mounts and dev_is_tmpfs.
Status plan_filesystem(const spec::Config& config, const std::string& bundle, Launch* launch);
// Needs plan_filesystem first (dev_is_tmpfs).
Status plan_devices(const spec::Config& config, Launch* launch);
// Sysctls, hostname and domainname; needs plan_namespaces first (all depend on them).
Status plan_sysctls(const spec::Config& config, Launch* launch);
Status plan_process(const spec::Config& config, Launch* launch);
// Every name capability_number accepts, in capability-number order (for `arca features`).
std::vector<std::string> capability_names();
// Every mount option parse_mount_options understands itself (flags, propagation, "rro",
// "tmpcopyup"), sorted; anything else is passed to the filesystem as data.
std::vector<std::string> mount_option_names();

}  // namespace arca::plan
