// Capability names -> numbers (linux/capability.h order).
#include <array>
#include <string_view>

#include "plan/launch.h"

namespace arca::plan {
namespace {

// Index is the capability number. Kept here rather than taken from libcap so the mapping
// does not depend on the build host's headers.
constexpr std::array<std::string_view, 41> kCapabilities{{
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
}};

}  // namespace

Result<int> capability_number(const std::string& name) {
  for (size_t i = 0; i < kCapabilities.size(); ++i) {
    if (kCapabilities[i] == name) return static_cast<int>(i);
  }
  return Error::invalid("unknown capability " + quote(name));
}

std::vector<std::string> capability_names() { return {kCapabilities.begin(), kCapabilities.end()}; }

}  // namespace arca::plan
