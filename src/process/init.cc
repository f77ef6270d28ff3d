#include "process/init.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>

#include "cgroups/manager.h"
#include "linux/syscalls.h"
#include "process/init_steps.h"
#include "rootfs/rootfs.h"
#include "security/credentials.h"
#include "security/lsm.h"

namespace arca::process {

namespace {

using StepFn = Status (*)(const InitOptions&);
struct Step {
  const char* name;  // for the error context when the step's own message is not enough
  StepFn run;
};

// The checklist. Ordering constraints:
// - the rootfs is set up while still root with every capability (mounts, mknod);
// - sysctls are written after pivot_root, through the container's own procfs;
// - rlimits before dropping capabilities (raising a hard limit needs CAP_SYS_RESOURCE);
// - no_new_privs and the user/capability switch last, so nothing after them needs
//   privileges but execve itself.
const Step kChecklist[] = {
    {"namespaces",
     [](const InitOptions& o) {
       return o.joined_in_intermediate ? Status() : steps::join_namespaces(*o.launch, false);
     }},
    {"keyring",
     [](const InitOptions& o) { return o.new_keyring ? steps::join_session_keyring() : Status(); }},
    {"rootfs", [](const InitOptions& o) { return rootfs::prepare_root(*o.launch); }},
    {"mounts", [](const InitOptions& o) { return rootfs::mount_all(*o.launch); }},
    {"devices", [](const InitOptions& o) { return rootfs::create_devices(*o.launch); }},
    // runtime-spec: after the mounts, before pivot_root (createContainer hooks resolve
    // their path in the runtime's tree, still visible here).
    {"hooks",
     [](const InitOptions& o) {
       return o.hooks ? run_hooks_before_pivot(*o.channel, *o.hooks) : Status();
     }},
    {"pivot_root", [](const InitOptions& o) { return rootfs::enter_root(*o.launch, o.no_pivot); }},
    // After pivot_root (the pty comes from the container's own devpts) and before
    // finish_root (a read-only root would refuse the /dev/console mount point).
    {"terminal",
     [](const InitOptions& o) { return steps::setup_terminal(*o.launch, *o.channel, true); }},
    // LSM exec labels and sysctls go through the container's procfs before readonlyPaths
    // make /proc/sys read-only and masks add mounts under /proc.
    {"lsm", [](const InitOptions& o) { return security::set_exec_labels(*o.launch); }},
    {"sysctl", [](const InitOptions& o) { return steps::apply_sysctls(*o.launch); }},
    {"rootfs", [](const InitOptions& o) { return rootfs::finish_root(*o.launch); }},
    {"identity", [](const InitOptions& o) { return steps::set_identity(*o.launch); }},
    {"loopback", [](const InitOptions& o) { return steps::bring_up_loopback(*o.launch); }},
    {"rlimits", [](const InitOptions& o) { return steps::apply_rlimits(*o.launch); }},
    {"personality", [](const InitOptions& o) { return steps::apply_personality(*o.launch); }},
    {"cwd", [](const InitOptions& o) { return steps::change_dir(*o.launch, false); }},
    {"no_new_privileges",
     [](const InitOptions& o) { return steps::set_no_new_privileges(*o.launch); }},
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before the
    // capability drop (the drop and execve then run under it, as with runc).
    {"seccomp",
     [](const InitOptions& o) {
       return o.launch->no_new_privileges ? Status()
                                          : steps::load_seccomp_filter(o.seccomp, *o.channel);
     }},
    {"user",
     [](const InitOptions& o) {
       return security::switch_user_and_caps(*o.launch,
                                             o.launch->uid_map.empty() || geteuid() == 0);
     }},
    {"cwd", [](const InitOptions& o) { return steps::change_dir(*o.launch, true); }},
    {"umask", [](const InitOptions& o) { return steps::apply_umask(*o.launch); }},
};

void check(const SyncChannel& channel, Status status) {
  if (!status) fail(channel, status.error());
}

// After kReady the parent answers kAck once state.json says "created". End-of-file
// means arca died before that: leave nothing running.
bool wait_for_ack(const SyncChannel& channel) {
  auto ack = channel.receive();
  if (!ack || ack->type != MsgType::kAck) _exit(1);
  return ack->value != 0;  // start right away (`run`)
}

}  // namespace

// First thing in every child arca forks.
void guard_child(const SyncChannel& channel) {
  // Nothing in the container may ptrace us or open /proc/1/exe while we are still arca
  // (CVE-2019-5736 class); execve of the container process resets this.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Until kReady, a step may block (a namespace path that is a fifo, a slow mount): if
  // arca dies meanwhile, so must we. From kReady on we only wait on the sync channel,
  // where arca's death shows as end-of-file, so the signal is cleared before kReady
  // and a create that exits right after kAck cannot take the container with it.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The window before PR_SET_PDEATHSIG took effect: getppid() cannot tell (it is 0 in a
  // new pid namespace), but the sync channel hangs up when arca is gone.
  pollfd p{channel.fd(), 0, 0};
  if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) _exit(1);
}

namespace {

// Until execve, the init is PID 1 of its namespace and would ignore every signal
// without a handler (a created container waits for `start` in that state); `kill ID TERM` must
// still end it (runc's init does exit on TERM, INT and HUP). execve resets these handlers to the
// default.
void exit_on_termination_signals() {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = [](int sig) { _exit(128 + sig); };
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) {
    sigaction(sig, &sa, nullptr);
  }
}

}  // namespace

void fail(const SyncChannel& channel, const Error& error) {
  Message m{MsgType::kError, error.code(), 0, error.message()};
  (void)channel.send(m);
  _exit(1);
}

void run_init(const InitOptions& options) {
  const SyncChannel& channel = *options.channel;
  const plan::Launch& launch = *options.launch;
  guard_child(channel);
  // A session of its own, as runc's init: the caller's terminal is not the container's,
  // and with process.terminal the pty can become its controlling terminal.
  if (setsid() < 0) fail(channel, Error::os("setsid"));
  check(channel, linux_sys::reset_signals(options.original_mask));
  // Before anyone can learn our pid (state.json is written after kReady): a TERM that
  // `kill` sends right after `create` returns must find the handler in place.
  exit_on_termination_signals();
  // Into the container's cgroups before anything else: no step below runs outside them.
  check(channel, cgroups::join_by_tasks_fds(options.cgroup_tasks, options.cgroup_task_count));
  if (launch.new_user_ns && !options.joined_in_intermediate) {
    check(channel, steps::wait_for_id_maps(channel));
    check(channel, steps::become_root_in_userns());
  }
  // After the user namespace is set up: the cgroup namespace must belong to it.
  if (options.cgroupns_after_placement && unshare(CLONE_NEWCGROUP) != 0) {
    fail(channel, Error::os("unshare cgroup namespace"));
  }
  for (const Step& step : kChecklist) check(channel, step.run(options));

  auto exe = steps::find_executable(launch);
  if (!exe) fail(channel, exe.error());
  std::vector<char*> argv = linux_sys::exec_array(launch.args);
  std::vector<std::string> env = launch.env;
  steps::add_default_home(env, launch.uid);
  std::vector<char*> envp = linux_sys::exec_array(env);
  int sync_fd = channel.fd();
  int fifo_fd = options.exec_fifo_fd;
  check(channel, steps::close_fds_on_exec(options.preserve_fds, &sync_fd, &fifo_fd));
  SyncChannel moved{UniqueFd(sync_fd)};
  // With no_new_privs the filter goes on as late as errors can still be reported: only
  // the sync messages, the exec fifo and execve run under it.
  if (launch.no_new_privileges) check(moved, steps::load_seccomp_filter(options.seccomp, moved));
  // Set again rather than kept: a uid/gid change in the "user" step cleared it.
  prctl(PR_SET_PDEATHSIG, options.die_with_parent ? SIGKILL : 0, 0, 0, 0);
  check(moved, moved.send({MsgType::kReady, 0, 0, {}}));
  bool start_now = wait_for_ack(moved);
  if (!start_now) {
    auto started = steps::wait_for_start(fifo_fd);
    if (!started) _exit(1);
  }
  if (options.hooks && !run_start_hooks(start_now ? &moved : nullptr, *options.hooks, env)) {
    _exit(1);
  }
  execve(exe->c_str(), argv.data(), envp.data());
  // The parent may be gone (create returned): the container's stderr is all we have.
  std::string msg = "arca: exec " + quote(launch.args[0]) + ": " + strerror(errno) + "\n";
  ssize_t ignored = write(STDERR_FILENO, msg.data(), msg.size());
  (void)ignored;
  _exit(127);
}

void run_intermediate(const InitOptions& options) {
  const SyncChannel& channel = *options.channel;
  const plan::Launch& launch = *options.launch;
  guard_child(channel);
  // User namespace first: the namespaces created below must be owned by it.
  check(channel, steps::join_namespaces(launch, true));
  if (launch.new_user_ns) {
    if (unshare(CLONE_NEWUSER) != 0) fail(channel, Error::os("unshare user namespace"));
    check(channel, steps::wait_for_id_maps(channel));
    check(channel, steps::become_root_in_userns());
  }
  check(channel, steps::join_namespaces(launch, false));
  int others = launch.clone_flags & ~CLONE_NEWUSER;
  // The init creates the cgroup namespace itself once it has been placed.
  if (options.cgroupns_after_placement) others &= ~CLONE_NEWCGROUP;
  if (others != 0 && unshare(others) != 0) fail(channel, Error::os("unshare namespaces"));
  if (!launch.time_offsets.empty()) {
    // Offsets can be set only before any process lives in the new time namespace, which
    // is why the init is forked after this write.
    check(channel, linux_sys::write_existing("/proc/self/timens_offsets", launch.time_offsets));
  }
  // The init waits for this process to exit, so that kInitPid reaches the parent before
  // anything the init sends (kHooksRequest, kReady): both share the channel.
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) fail(channel, Error::os("pipe"));
  auto pid = linux_sys::clone3_fork(CLONE_PARENT);
  if (!pid) fail(channel, Error(pid.error()).context("fork init"));
  if (*pid == 0) {
    close(gate[1]);
    char byte;
    while (read(gate[0], &byte, 1) < 0 && errno == EINTR) {
    }
    close(gate[0]);
    InitOptions init = options;
    init.joined_in_intermediate = true;
    run_init(init);
  }
  (void)channel.send({MsgType::kInitPid, 0, *pid, {}});
  _exit(0);
}

}  // namespace arca::process
