#include "security/credentials.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/log.h"

namespace arca::security {

namespace {

Status drop_bounding(uint64_t keep) {
  int last = last_capability();
  for (int cap = 0; cap <= last; ++cap) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Error::os("drop capability " + std::to_string(cap) + " from the bounding set");
    }
  }
  return {};
}

Status set_cap_sets(const plan::CapSets& caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  auto split = [](uint64_t mask, __u32* low, __u32* high) {
    *low = static_cast<__u32>(mask);
    *high = static_cast<__u32>(mask >> 32);
  };
  split(caps.effective, &data[0].effective, &data[1].effective);
  split(caps.permitted, &data[0].permitted, &data[1].permitted);
  split(caps.inheritable, &data[0].inheritable, &data[1].inheritable);
  if (syscall(SYS_capset, &header, data) != 0) return Error::os("set capabilities");
  return {};
}

Status set_ambient(uint64_t ambient) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return Error::os("clear ambient capabilities");
  }
  int last = last_capability();
  for (int cap = 0; cap <= last; ++cap) {
    if (!(ambient & (1ULL << cap))) continue;
    // A capability can be ambient only if it is also permitted and inheritable. runc
    // warns and goes on (its default config asks for ambient capabilities without
    // inheritable ones), and engines rely on that, so do the same.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      log::debug("cannot raise ambient capability " + std::to_string(cap) + ": " + strerror(errno));
    }
  }
  return {};
}

Status switch_ids(const plan::Launch& launch, bool setgroups_allowed) {
  if (setgroups_allowed) {
    if (setgroups(launch.additional_gids.size(), launch.additional_gids.data()) != 0) {
      return Error::os("setgroups");
    }
  } else if (!launch.additional_gids.empty()) {
    return Error::invalid("additionalGids: setgroups is denied in this user namespace");
  }
  if (setresgid(launch.gid, launch.gid, launch.gid) != 0) {
    return Error::os("setgid " + std::to_string(launch.gid));
  }
  if (setresuid(launch.uid, launch.uid, launch.uid) != 0) {
    return Error::os("setuid " + std::to_string(launch.uid));
  }
  return {};
}

}  // namespace

int last_capability() {
  static int cached = -1;
  if (cached >= 0) return cached;
  cached = CAP_LAST_CAP;
  if (FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "re")) {
    int v;
    if (fscanf(f, "%d", &v) == 1 && v > 0 && v < 64) cached = v;
    fclose(f);
  }
  return cached;
}

Status switch_user_and_caps(const plan::Launch& launch, bool setgroups_allowed) {
  if (!launch.caps) return switch_ids(launch, setgroups_allowed);
  ARCA_TRY(drop_bounding(launch.caps->bounding));
  // Keep permitted capabilities across setuid(non-zero); effective ones are restored
  // by capset right after.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::os("prctl keepcaps");
  ARCA_TRY(switch_ids(launch, setgroups_allowed));
  ARCA_TRY(set_cap_sets(*launch.caps));
  ARCA_TRY(set_ambient(launch.caps->ambient));
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::os("prctl keepcaps");
  return {};
}

}  // namespace arca::security
