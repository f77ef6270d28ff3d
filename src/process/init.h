// The container's init before execve: a flat checklist of steps, run in the child after
// clone(). The first failing step reports {errno, "step: reason"} over the sync channel
// and the child exits; nothing here returns to the caller.
#pragma once

#include <signal.h>

#include "plan/launch.h"
#include "process/hook_points.h"
#include "process/sync.h"
#include "security/seccomp.h"

namespace arca::process {

struct InitOptions {
  const plan::Launch* launch = nullptr;
  const security::SeccompProgram* seccomp = nullptr;
  SyncChannel* channel = nullptr;
  int exec_fifo_fd = -1;  // read end of the exec fifo; -1 when `run` starts at once
  int preserve_fds = 0;   // fds 3 .. 3+preserve_fds-1 pass into the container
  bool no_pivot = false;
  bool new_keyring = true;
  bool joined_in_intermediate = false;  // namespaces were already joined by the middle
  // The init joins its cgroups itself, first thing (cgroups::Placement: writes "0" to
  // these fds); the cgroup namespace (left out of the clone/unshare flags) is created only
  // after that, so that its root is the container's cgroup.
  const int* cgroup_tasks = nullptr;
  size_t cgroup_task_count = 0;
  bool cgroupns_after_placement = false;
  sigset_t original_mask;  // arca's signal mask before it blocked signals for `run`
  // Hooks to run or ask for before the process runs; null without any.
  InitHooks* hooks = nullptr;
  // `arca shell`: the container dies with arca (kept from kReady through execve).
  bool die_with_parent = false;
};

// Runs the checklist and execs the container process, or reports and _exits.
[[noreturn]] void run_init(const InitOptions& options);

// The intermediate process (only when an existing user or pid namespace is joined, or
// a time namespace is created): joins/creates namespaces that apply to children only,
// forks the init with CLONE_PARENT (so arca stays its parent), reports its pid, exits.
[[noreturn]] void run_intermediate(const InitOptions& options);

// First thing in every child arca forks: non-dumpable, killed with arca until it clears
// PR_SET_PDEATHSIG itself, and gone at once if arca already is.
void guard_child(const SyncChannel& channel);

// Sends {errno, text} of `error` to the parent and exits: the only way a child fails.
[[noreturn]] void fail(const SyncChannel& channel, const Error& error);

}  // namespace arca::process
