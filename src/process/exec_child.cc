#include "process/exec_child.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cgroups/manager.h"
#include "linux/syscalls.h"
#include "process/exec_namespaces.h"
#include "process/exec_plan.h"
#include "process/init.h"
#include "process/init_steps.h"
#include "security/credentials.h"
#include "security/lsm.h"

namespace arca::process {

namespace {

void check(const SyncChannel& channel, Status status) {
  if (!status) fail(channel, status.error());
}

Status close_range_between(int first, int last) {
  if (first > last) return {};
  if (syscall(SYS_close_range, first, last, 0) != 0) return Error::os("close_range");
  return {};
}

// Every fd but stdio, the preserved ones and our two is *closed*, not only marked
// close-on-exec: until execve any open fd is reachable through /proc/self/fd, and a host
// directory reached that way would let the cwd escape the container (CVE-2024-21626).
// Below the preserved limit, an fd stays only if the caller handed it over: arca opens
// everything close-on-exec, and nothing close-on-exec survived the exec into arca.
Status close_host_fds(int preserve_fds, int* sync_fd, int* pidfd) {
  const int floor = 3 + preserve_fds;
  for (int* fd : {sync_fd, pidfd}) {
    if (*fd >= floor) continue;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, floor);
    if (moved < 0) return Error::os("move an fd above the preserved ones");
    close(*fd);
    *fd = moved;
  }
  for (int fd = 3; fd < floor; ++fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC)) close(fd);
  }
  int low = std::min(*sync_fd, *pidfd);
  int high = std::max(*sync_fd, *pidfd);
  ARCA_TRY(close_range_between(floor, low - 1));
  ARCA_TRY(close_range_between(low + 1, high - 1));
  if (syscall(SYS_close_range, high + 1, ~0U, 0) != 0) return Error::os("close_range");
  return {};
}

Status set_oom_score_adj(const plan::Launch& launch) {
  if (!launch.oom_score_adj) return {};
  // Still our procfs (before the mount namespace changes), and still privileged: lowering
  // the score needs CAP_SYS_RESOURCE.
  return linux_sys::write_existing("/proc/self/oom_score_adj",
                                   std::to_string(*launch.oom_score_adj));
}

// The mount namespace join made the container's root our root and cwd, so chdir resolves
// inside it. A preserved fd to a host directory (--cwd /proc/self/fd/N) would still lead
// out; getcwd then has no path below our root (the kernel answers "(unreachable)").
Status enter_cwd(const plan::Launch& launch, bool final_attempt) {
  if (launch.cwd.empty()) return {};
  if (chdir(launch.cwd.c_str()) != 0) {
    // Some directories are reachable only as the process's user (root squashing).
    if (!final_attempt && (errno == EACCES || errno == EPERM)) return {};
    return Error::os("chdir to cwd " + quote(launch.cwd));
  }
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf) == nullptr || buf[0] != '/') {
    return Error(EPERM, "cwd " + quote(launch.cwd) + " is outside the container");
  }
  return {};
}

// The checklist from the namespaces to the user switch. Ordering constraints:
// - oom_score_adj through our own procfs, before the namespaces change;
// - rlimits before dropping capabilities (raising a hard limit needs CAP_SYS_RESOURCE);
// - without no_new_privs the filter needs CAP_SYS_ADMIN: loaded before the drop.
void prepare(const ExecChildOptions& o, const SyncChannel& channel, int pidfd) {
  const plan::Launch& launch = *o.launch;
  check(channel, set_oom_score_adj(launch));
  check(channel, join_namespaces(pidfd, o.init_pid, o.join_flags));
  close(pidfd);
  // -t: the slave becomes stdio and controlling terminal; no /dev/console (the init's).
  check(channel, steps::setup_terminal(launch, channel, false));
  // Through the container's procfs, now ours (security/lsm.h).
  check(channel, security::set_exec_labels(launch));
  check(channel, steps::apply_rlimits(launch));
  check(channel, steps::apply_personality(launch));
  check(channel, enter_cwd(launch, false));
  check(channel, steps::set_no_new_privileges(launch));
  if (!launch.no_new_privileges) check(channel, steps::load_seccomp_filter(o.seccomp, channel));
  check(channel, security::switch_user_and_caps(launch, o.setgroups_allowed));
  check(channel, enter_cwd(launch, true));
  check(channel, steps::apply_umask(launch));
}

}  // namespace

void run_exec_child(const ExecChildOptions& o) {
  guard_child(*o.channel);
  // Into the container's cgroups before anything else: nothing below runs outside them.
  check(*o.channel, cgroups::join_by_tasks_fds(o.cgroup_tasks, o.cgroup_task_count));
  check(*o.channel, linux_sys::reset_signals(o.original_mask));
  int sync_fd = o.channel->fd();
  int pidfd = o.init_pidfd;
  check(*o.channel, close_host_fds(o.preserve_fds, &sync_fd, &pidfd));
  (void)o.channel->handle().release();  // now sync_fd (closed if it was moved)
  SyncChannel channel{UniqueFd(sync_fd)};
  prepare(o, channel, pidfd);
  const plan::Launch& launch = *o.launch;

  auto exe = steps::find_executable(launch);
  if (!exe) fail(channel, exe.error());
  std::vector<std::string> env = launch.env;
  steps::add_default_home(env, launch.uid);
  // sd_listen_fds() checks LISTEN_PID against getpid(): ours, as the container sees it.
  if (o.listen_pid_self) set_env(env, "LISTEN_PID=" + std::to_string(getpid()));
  std::vector<char*> argv = linux_sys::exec_array(launch.args);
  std::vector<char*> envp = linux_sys::exec_array(env);
  // With no_new_privs the filter goes on as late as an error can still be reported.
  if (launch.no_new_privileges) check(channel, steps::load_seccomp_filter(o.seccomp, channel));
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  execve(exe->c_str(), argv.data(), envp.data());
  Error error = Error::os("exec " + quote(launch.args[0]));
  // A seccomp profile may deny the send: then the process's stderr is all there is.
  if (!channel.send({MsgType::kError, error.code(), 0, error.message()})) {
    std::string line = "arca: " + error.render() + "\n";
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
  }
  _exit(127);
}

}  // namespace arca::process
