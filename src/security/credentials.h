// Switching the init to the configured user and capability sets.
#pragma once

#include "base/error.h"
#include "plan/launch.h"

namespace arca::security {

// The highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();

// Drops the bounding set, switches groups/gid/uid keeping capabilities across the uid
// change, then sets effective/permitted/inheritable and the ambient set. Order matters:
// PR_CAPBSET_DROP needs CAP_SETPCAP, so the bounding set is cut while still root; the
// ambient set can only hold capabilities that are permitted and inheritable, so it is
// raised last. `setgroups_allowed` is false in a user namespace whose setgroups is "deny".
Status switch_user_and_caps(const plan::Launch& launch, bool setgroups_allowed);

}  // namespace arca::security
