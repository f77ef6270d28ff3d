// `arca exec`: a new process in an existing container's namespaces and cgroups.
//
//   arca exec (parent)                                  exec child
//   ------------------                                  ----------
//   namespaces to join: every /proc/INIT/ns/* that differs from ours
//   open every v1 hierarchy's `tasks` file
//   -t with --console-socket: connect to it
//   non-dumpable (the child is born so: it is visible in the container from its first
//   instruction, and still arca)
//   setns(init pidfd, CLONE_NEWPID): only our *children* go there
//   clone3 [CLONE_INTO_CGROUP: the init's cgroup2 leaf] ------>  born inside the pid namespace
//                                                          "0" into each tasks fd (v1 cgroups)
//                                                          close every fd but stdio, the
//                                                          preserved ones and its own two
//                                                          setns(init pidfd, user|mnt|net|
//                                                            ipc|uts|cgroup|time) at once
//                                                          -t: a pty from the container's
//                                                            devpts, the slave as stdio
//            <------------------- kTerminal + the pty master
//   master to the console socket, or kept for the foreground relay
//                                                          rlimits, cwd (inside the root),
//                                                          no_new_privs, user, capabilities,
//                                                          seccomp
//            <------------------- end-of-file (execve closed the channel) or kError
//   pid file; -d: exit; else wait, forwarding signals, and exit with its status
//
// The parent joins the pid namespace itself (setns with CLONE_NEWPID changes only where
// its children are born) so the process needs no intermediate: it is arca's child, born as
// a non-init member of the container's pid namespace, and arca waits for it directly.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "plan/launch.h"
#include "security/seccomp.h"

namespace arca::process {

struct ExecRequest {
  pid_t init_pid = 0;
  int init_pidfd = -1;                   // checked against the recorded start time by the caller
  const plan::Launch* launch = nullptr;  // the process: args, env, user, caps, rlimits, cwd
  const security::SeccompProgram* seccomp = nullptr;  // the container's, compiled
  nlohmann::json state;  // the container's OCI state, for a seccomp agent (SCMP_ACT_NOTIFY)
  const nlohmann::json* cgroup = nullptr;  // state.json's recorded cgroups; null: none
  int preserve_fds = 0;                    // fds 3 .. 3+preserve_fds-1 pass into the process
  bool listen_pid_self = false;            // LISTEN_FDS passed: LISTEN_PID is the process's pid
  std::string console_socket;              // with launch->terminal: where the pty master goes
  sigset_t original_mask;  // the caller's mask before it blocked signals for forwarding
};

struct ExecStarted {
  pid_t pid = 0;
  UniqueFd terminal;  // the pty master: launch->terminal without a console socket
};

// Starts the process. Returns once it has exec'd; on any error (reported by the child as
// `container process: <what>: <reason>`) it is killed and reaped first.
Result<ExecStarted> exec_process(const ExecRequest& request);

// Where the process should go in the cgroup2 hierarchy: the init's own cgroup when it lies
// below the recorded directory (on cgroup v2 only leaves may hold processes, and a
// container that made sub-cgroups has moved its init into one), else the recorded one.
// `recorded` is a directory ("/sys/fs/cgroup/x/c1"); `init_cgroup` is the init's path from
// its /proc/PID/cgroup "0::" line ("/x/c1/init.scope"). The mount point is not known
// here, so a result other than `recorded` is a candidate: the caller checks that the init
// is in it.
std::string cgroup2_candidate(const std::string& recorded, const std::string& init_cgroup);

}  // namespace arca::process
