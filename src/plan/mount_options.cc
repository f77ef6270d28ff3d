// config.json mount options -> mount(2) flags, propagation and fs data.
#include <sys/mount.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "plan/launch.h"

namespace arca::plan {
namespace {

struct FlagOption {
  std::string_view name;
  unsigned long flag;
  bool clears;  // "rw", "suid", ...: the flag is removed and recorded in clear_flags
};

constexpr std::array<FlagOption, 33> kFlagOptions{{
    {"defaults", 0, false},
    {"ro", MS_RDONLY, false},
    {"rw", MS_RDONLY, true},
    {"nosuid", MS_NOSUID, false},
    {"suid", MS_NOSUID, true},
    {"nodev", MS_NODEV, false},
    {"dev", MS_NODEV, true},
    {"noexec", MS_NOEXEC, false},
    {"exec", MS_NOEXEC, true},
    {"sync", MS_SYNCHRONOUS, false},
    {"async", MS_SYNCHRONOUS, true},
    {"dirsync", MS_DIRSYNC, false},
    {"remount", MS_REMOUNT, false},
    {"mand", MS_MANDLOCK, false},
    {"nomand", MS_MANDLOCK, true},
    {"noatime", MS_NOATIME, false},
    {"atime", MS_NOATIME, true},
    {"nodiratime", MS_NODIRATIME, false},
    {"diratime", MS_NODIRATIME, true},
    {"relatime", MS_RELATIME, false},
    {"norelatime", MS_RELATIME, true},
    {"strictatime", MS_STRICTATIME, false},
    {"nostrictatime", MS_STRICTATIME, true},
    {"lazytime", MS_LAZYTIME, false},
    {"nolazytime", MS_LAZYTIME, true},
    {"silent", MS_SILENT, false},
    {"loud", MS_SILENT, true},
    {"iversion", MS_I_VERSION, false},
    {"noiversion", MS_I_VERSION, true},
    {"nosymfollow", MS_NOSYMFOLLOW, false},
    {"symfollow", MS_NOSYMFOLLOW, true},
    {"bind", MS_BIND, false},
    {"rbind", MS_BIND | MS_REC, false},
}};

struct PropagationName {
  std::string_view name;
  unsigned long flags;
};

constexpr std::array<PropagationName, 8> kPropagation{{
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// Options that runc understands but arca does not implement yet. Passing them on as fs
// data would make mount(2) fail with a confusing EINVAL, and dropping them would
// silently weaken the mount, so they are refused by name.
constexpr std::array<std::string_view, 19> kUnsupported{{
    "idmap",        "ridmap",         "rrw",          "rnosuid",    "rsuid",
    "rnodev",       "rdev",           "rnoexec",      "rexec",      "rnodiratime",
    "rdiratime",    "rrelatime",      "rnorelatime",  "rnoatime",   "ratime",
    "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow",
}};

const FlagOption* find_flag_option(std::string_view name) {
  for (const auto& option : kFlagOptions) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

bool is_unsupported(std::string_view name) {
  for (auto unsupported : kUnsupported) {
    if (unsupported == name) return true;
  }
  return false;
}

}  // namespace

Result<unsigned long> propagation_flags(const std::string& name) {
  for (const auto& entry : kPropagation) {
    if (entry.name == name) return entry.flags;
  }
  return Error::invalid("unknown propagation " + quote(name));
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& option : options) {
    if (option.empty()) continue;
    if (const FlagOption* known = find_flag_option(option)) {
      // Later options override earlier ones ("ro,rw" is read-write), as in runc.
      if (known->clears) {
        out.flags &= ~known->flag;
        out.clear_flags |= known->flag;
      } else {
        out.flags |= known->flag;
        out.clear_flags &= ~known->flag;
      }
      if (known->flag & MS_BIND) out.bind = true;
      continue;
    }
    if (auto propagation = propagation_flags(option); propagation.ok()) {
      out.propagation.push_back(*propagation);
    } else if (option == "rro") {
      out.recursive_readonly = true;
    } else if (option == "tmpcopyup") {
      out.tmpcopyup = true;
    } else if (is_unsupported(option)) {
      return Error::invalid("unsupported mount option " + quote(option));
    } else {
      if (!out.data.empty()) out.data += ',';
      out.data += option;
    }
  }
  return out;
}

std::vector<std::string> mount_option_names() {
  std::vector<std::string> names;
  for (const auto& option : kFlagOptions) names.emplace_back(option.name);
  for (const auto& entry : kPropagation) names.emplace_back(entry.name);
  names.emplace_back("rro");
  names.emplace_back("tmpcopyup");
  std::sort(names.begin(), names.end());
  return names;
}

bool MountStep::needs_remount() const {
  // The kernel ignores these on the initial MS_BIND; only MS_BIND|MS_REMOUNT applies them.
  constexpr unsigned long kRemountFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                          MS_NOATIME | MS_NODIRATIME | MS_RELATIME |
                                          MS_STRICTATIME | MS_NOSYMFOLLOW;
  return bind && (flags & kRemountFlags) != 0;
}

}  // namespace arca::plan
