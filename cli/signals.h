// Signalling a container's processes without racing pid reuse.
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "base/unique_fd.h"
#include "state/state.h"

namespace arca::cli {

// A pidfd of the init recorded in `record`, whose start time was checked after opening it:
// it cannot refer to a recycled pid. ESRCH when the init is gone.
Result<UniqueFd> open_init(const state::Record& record);
// Sends `sig` to the init recorded in `record` through a pidfd whose start time was
// checked, so a recycled pid is never signalled. ESRCH when it is already gone.
Status signal_init(const state::Record& record, int sig);
// Sends `sig` to every process in the container's recorded cgroup but `except` (best
// effort; no cgroup recorded: nothing to do).
void signal_cgroup(const state::Record& record, int sig, pid_t except = 0);
// Sends `sig` to every process in the init's pid namespace (when it has its own) and in
// the container's recorded cgroup, init last. SIGKILL (here and in signal_init) also thaws
// a frozen container, as runc does: a frozen task dies only once thawed.
Status signal_all(const state::Record& record, int sig);
// SIGKILLs everything of the container and waits until the init is gone.
Status kill_and_wait(const state::Record& record);
// Removes the cgroups recorded in `record` (none recorded: nothing to do). Call once the
// processes are gone: a populated cgroup cannot be removed.
Status destroy_cgroups(const state::Record& record);

}  // namespace arca::cli
