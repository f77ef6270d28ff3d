// The exec'd process before execve: a flat checklist run in the child after clone3 (see
// exec.h for the conversation). The first failing step reports {errno, "what"} over the sync
// channel and the child exits; nothing here returns.
#pragma once

#include <signal.h>

#include <cstddef>

#include "plan/launch.h"
#include "process/sync.h"
#include "security/seccomp.h"

namespace arca::process {

struct ExecChildOptions {
  const plan::Launch* launch = nullptr;
  const security::SeccompProgram* seccomp = nullptr;
  SyncChannel* channel = nullptr;
  int init_pidfd = -1;
  int init_pid = 0;                   // for the per-namespace fallback (/proc/PID/ns/*)
  int join_flags = 0;                 // CLONE_NEW* to join (the pid namespace is not among them)
  const int* cgroup_tasks = nullptr;  // fds the child writes "0" to (cgroups::Placement)
  size_t cgroup_task_count = 0;
  bool setgroups_allowed = true;  // false in a user namespace whose setgroups is "deny"
  int preserve_fds = 0;
  bool listen_pid_self = false;
  sigset_t original_mask;
};

[[noreturn]] void run_exec_child(const ExecChildOptions& options);

}  // namespace arca::process
