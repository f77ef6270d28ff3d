// Parent side of create/run: state dir, clone, the sync conversation, cleanup on error.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "cgroups/manager.h"
#include "plan/launch.h"
#include "security/seccomp.h"
#include "spec/config.h"

namespace arca::process {

struct CreateRequest {
  std::string root;  // state root (--root)
  std::string id;
  std::string bundle;  // absolute
  const spec::Config* config = nullptr;
  std::string_view config_text;  // config.json as parsed: kept in the state dir for `exec`
  const plan::Launch* launch = nullptr;
  const security::SeccompProgram* seccomp = nullptr;  // compiled; loaded by the init
  std::string pid_file;
  bool no_pivot = false;
  bool new_keyring = true;
  int preserve_fds = 0;
  bool systemd_cgroup = false;  // --systemd-cgroup
  bool start_now = false;       // `run`: no exec fifo, the init execs as soon as it is ready
  bool die_with_parent = false;  // the init keeps PR_SET_PDEATHSIG=SIGKILL through execve
  sigset_t original_mask;       // the caller's mask before it blocked signals for forwarding
  // process.terminal: the pty master is sent here (runc's protocol, console/); without
  // one it is returned in Created::terminal for the caller to relay.
  std::string console_socket;
};

struct Created {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd terminal;  // the pty master: process.terminal without a console socket
};

// clone3 into the cgroup2 directory when there is one. A kernel without CLONE_INTO_CGROUP
// (before 5.7) refuses it (5.3-5.6: E2BIG for the larger clone_args, else EINVAL): then
// the child joins through cgroup.procs like a v1 `tasks` file (added to `placement.tasks`
// and `cgroup_tasks`, the fds the child writes "0" to).
Result<pid_t> clone_child(uint64_t flags, int* pidfd, cgroups::Placement& placement,
                          std::vector<int>& cgroup_tasks);

// Creates the container. On any error nothing is left behind: the state dir is removed
// and the child (if any) is killed and reaped.
Result<Created> create_container(const CreateRequest& request);

// `run` in the foreground: waits for the init, forwarding `forwarded` signals to it.
// Returns the exit status as a shell would: code, or 128+N when killed by signal N.
Result<int> wait_forwarding(pid_t pid, const sigset_t& forwarded);

}  // namespace arca::process
