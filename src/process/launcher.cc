#include "process/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>

#include "base/log.h"
#include "cgroups/container_resources.h"
#include "cgroups/manager.h"
#include "console/console_socket.h"
#include "hooks/runner.h"
#include "linux/syscalls.h"
#include "process/exec_config.h"
#include "process/init.h"
#include "process/sync.h"
#include "security/credentials.h"
#include "security/listener_handoff.h"
#include "state/state.h"

namespace arca::process {

namespace {

// Everything a failed create must undo, undone in the destructor unless dismissed.
struct Cleanup {
  state::StateDir* dir = nullptr;
  pid_t child = 0;
  pid_t init = 0;
  cgroups::Manager* cgroup = nullptr;
  const spec::Hooks* hooks = nullptr;  // poststop hooks run for a failed create too, as runc's
  const state::Record* record = nullptr;
  bool dismissed = false;
  ~Cleanup() {
    if (dismissed) return;
    for (pid_t pid : {init, child}) {
      if (pid > 0) kill(pid, SIGKILL);
    }
    for (pid_t pid : {child, init}) {
      if (pid > 0) waitpid(pid, nullptr, 0);
    }
    // After the reaping: a cgroup with a process in it cannot be removed.
    if (cgroup != nullptr) {
      if (auto s = cgroup->destroy(); !s) log::warn("cgroup cleanup: " + s.error().render());
    }
    if (dir != nullptr) (void)dir->remove();
    if (hooks != nullptr) hooks::run_phase_warning(*hooks, hooks::Phase::poststop, *record);
  }
};

Status write_id_maps(pid_t pid, const plan::Launch& launch) {
  std::string base = "/proc/" + std::to_string(pid);
  if (geteuid() != 0) ARCA_TRY(linux_sys::write_existing(base + "/setgroups", "deny"));
  ARCA_TRY(linux_sys::write_existing(base + "/uid_map", launch.uid_map));
  ARCA_TRY(linux_sys::write_existing(base + "/gid_map", launch.gid_map));
  return {};
}

Status write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return {};
  auto written = state::write_file_atomic(path, std::to_string(pid), 0644);
  if (!written) return std::move(written).error().context("pid file " + quote(path));
  return {};
}

[[noreturn]] void child_main(const CreateRequest& request, SyncChannel& channel, int fifo_fd,
                             bool intermediate, bool cgroupns, const std::vector<int>& cgroup_tasks,
                             InitHooks* hooks) {
  InitOptions options;
  options.launch = request.launch;
  options.seccomp = request.seccomp;
  options.channel = &channel;
  options.exec_fifo_fd = fifo_fd;
  options.preserve_fds = request.preserve_fds;
  options.no_pivot = request.no_pivot;
  options.new_keyring = request.new_keyring;
  options.original_mask = request.original_mask;
  options.cgroupns_after_placement = cgroupns;
  options.cgroup_tasks = cgroup_tasks.data();
  options.cgroup_task_count = cgroup_tasks.size();
  options.hooks = hooks;
  options.die_with_parent = request.die_with_parent;
  if (intermediate) run_intermediate(options);
  run_init(options);
}

// SCMP_ACT_NOTIFY: the listener fd goes to the agent as soon as it arrives.
using ListenerHandoff = std::function<Status(pid_t init, int fd)>;

// The sync conversation up to kReady. Returns the init's pid.
Result<pid_t> converse(const SyncChannel& channel, const plan::Launch& launch, pid_t child,
                       bool intermediate, const InitHooks* hooks, console::MasterRoute& terminal,
                       const ListenerHandoff& handoff) {
  ParentProtocol protocol(launch.new_user_ns, intermediate, hooks != nullptr, launch.terminal);
  pid_t init = intermediate ? 0 : child;
  while (!protocol.ready()) {
    UniqueFd fd;
    auto msg = channel.receive(&fd);
    if (!msg) {
      if (channel.closed_by_peer(msg.error())) {
        return Error::invalid("container init exited before it was ready");
      }
      return std::move(msg).error();
    }
    ARCA_TRY(protocol.expect(msg->type));
    switch (msg->type) {
      case MsgType::kError:
        return Error(msg->err, msg->text).context("container init");
      case MsgType::kMapsRequest:
        ARCA_TRY(write_id_maps(child, launch));
        ARCA_TRY(channel.send({MsgType::kMapsDone, 0, 0, {}}));
        break;
      case MsgType::kInitPid:
        init = static_cast<pid_t>(msg->value);
        waitpid(child, nullptr, 0);
        break;
      case MsgType::kHooksRequest:
        ARCA_TRY(answer_hooks_request(channel, *hooks, init));
        break;
      case MsgType::kTerminal:
        ARCA_TRY(terminal.take(std::move(fd)));
        break;
      case MsgType::kSeccompFd:
        if (!fd.valid()) return Error::invalid("sync: seccomp-fd without an fd");
        ARCA_TRY(handoff(init, fd.get()));
        break;
      default:
        break;
    }
  }
  return init;
}

// The cgroup directories per controller, as state.json keeps them (cgroups/recorded.h).
nlohmann::json cgroup_record(const cgroups::Manager& cgroup) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& [controller, path] : cgroup.paths()) paths[controller] = path;
  return paths;
}

// The container's cgroups, or nullptr when it gets none: a non-root caller that asked for
// nothing (no resources, no cgroupsPath) usually may not create cgroups, and runc leaves
// them out then too.
Result<std::unique_ptr<cgroups::Manager>> open_cgroups(const CreateRequest& request,
                                                       const cgroups::Resources* resources) {
  const std::string& path = request.config->linux.cgroups_path;
  if (geteuid() != 0 && resources == nullptr && path.empty()) {
    return std::unique_ptr<cgroups::Manager>();
  }
  return cgroups::open_manager(path, request.id, request.systemd_cgroup, resources);
}

}  // namespace

Result<pid_t> clone_child(uint64_t flags, int* pidfd, cgroups::Placement& placement,
                          std::vector<int>& cgroup_tasks) {
  if (!placement.v2_dir.valid()) return linux_sys::clone3_fork(flags, pidfd);
  auto child = linux_sys::clone3_fork(flags, pidfd, placement.v2_dir.get());
  int err = child ? 0 : child.error().code();
  if (child || (err != EINVAL && err != E2BIG && err != ENOSYS)) return child;
  UniqueFd procs(openat(placement.v2_dir.get(), "cgroup.procs", O_WRONLY | O_CLOEXEC));
  if (!procs.valid()) return Error::os("open cgroup.procs");
  cgroup_tasks.push_back(procs.get());
  placement.tasks.push_back(std::move(procs));
  return linux_sys::clone3_fork(flags, pidfd);
}

Result<Created> create_container(const CreateRequest& request) {
  const plan::Launch& launch = *request.launch;
  // Parsed before anything exists, so a bad value leaves nothing to undo.
  ARCA_ASSIGN(std::optional<cgroups::Resources> resources,
              cgroups::container_resources(*request.config, geteuid() == 0));
  console::MasterRoute terminal;
  if (!request.console_socket.empty()) {
    // Connected before anything exists: a bad path leaves nothing to undo.
    ARCA_ASSIGN(terminal.console_socket, console::connect_console_socket(request.console_socket));
  }
  // Declared before `cleanup`, which uses it in its destructor.
  ARCA_ASSIGN(auto cgroup, open_cgroups(request, resources ? &*resources : nullptr));
  ARCA_ASSIGN(state::StateDir dir, state::StateDir::create(request.root, request.id));

  state::Record record;
  record.id = request.id;
  record.bundle = request.bundle;
  record.rootfs = launch.rootfs;
  record.created = state::now_rfc3339();
  record.annotations = request.config->annotations;
  if (cgroup) {
    // delete and kill --all find the cgroups here: they cannot re-resolve a relative
    // cgroupsPath, which depends on the caller's own cgroup.
    record.extra["cgroup"] = cgroup_record(*cgroup);
    if (!cgroup->unit().empty()) record.extra["systemd_unit"] = cgroup->unit();  // for delete
  }
  if (auto kept = hooks::to_record(request.config->hooks); !kept.empty()) {
    record.extra["hooks"] = std::move(kept);  // poststart for start, poststop for delete
  }
  Cleanup cleanup;  // after `record`, which its destructor uses
  cleanup.dir = &dir;
  cleanup.hooks = &request.config->hooks;
  cleanup.record = &record;
  ARCA_TRY(save_config_copy(dir.fd(), request.config_text));
  // Without cgroups, no state.json until the init is ready: a state dir without one
  // reads as "creating" (cli/container.cc), which saves a file write on every start.

  cgroups::Placement placement;
  UniqueFd fifo;
  if (!request.start_now) {
    if (mkfifoat(dir.fd(), "exec.fifo", 0600) != 0) return Error::os("mkfifo exec.fifo");
    fifo.reset(openat(dir.fd(), "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo.valid()) return Error::os("open exec.fifo");
  }
  ARCA_ASSIGN(auto channels, SyncChannel::make_pair());
  auto& [parent_end, child_end] = channels;

  if (cgroup) {
    // Written before the cgroups exist: a create SIGKILLed from here on leaves a record
    // of them for `delete` to remove.
    ARCA_TRY(dir.save(record));
    cleanup.cgroup = cgroup.get();
    ARCA_TRY(cgroup->create());
    if (resources) ARCA_TRY(cgroup->apply(*resources));
    record.extra["cgroup"] = cgroup_record(*cgroup);  // without what create() skipped
    ARCA_ASSIGN(placement, cgroup->open_placement());
  }
  std::vector<int> cgroup_tasks;
  for (const auto& fd : placement.tasks) cgroup_tasks.push_back(fd.get());

  // Direct clone into every new namespace unless something must happen between
  // joining/creating a namespace and forking the init (see run_intermediate).
  bool intermediate = launch.needs_intermediate || !launch.time_offsets.empty();
  security::last_capability();  // cache before the container's /proc replaces ours
  int pidfd = -1;
  uint64_t flags = intermediate ? 0 : static_cast<uint64_t>(launch.clone_flags);
  // With cgroups, the init creates its cgroup namespace once it has joined its v1 cgroups
  // (see cgroups::Placement), so that the namespace's root is the container's cgroup.
  bool cgroupns = cgroup && (launch.clone_flags & CLONE_NEWCGROUP) != 0;
  if (cgroupns) flags &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);
  // Hooks need the init to stop before pivot_root and to report after `start`.
  InitHooks init_hooks;
  bool with_hooks = hooks::needs_init_hooks(request.config->hooks);
  UniqueFd start_listener;
  if (with_hooks) {
    init_hooks = {&request.config->hooks, record, &launch.env, -1};
    if (!request.start_now && !request.config->hooks.start_container.empty()) {
      ARCA_ASSIGN(start_listener, listen_for_start(dir.fd(), 3 + request.preserve_fds));
      init_hooks.start_listener = start_listener.get();
    }
  }
  ARCA_ASSIGN(pid_t child,
              clone_child(flags, intermediate ? nullptr : &pidfd, placement, cgroup_tasks));
  if (child == 0) {
    // The state dir fd carries create's flock: an init holding it would block every
    // later verb on this container.
    close(dir.fd());
    parent_end.handle().reset();
    terminal.console_socket.reset();  // the caller's socket gets nothing from the container
    child_main(request, child_end, fifo.release(), intermediate, cgroupns, cgroup_tasks,
               with_hooks ? &init_hooks : nullptr);
  }
  cleanup.child = child;
  if (cgroup) ARCA_TRY(cgroup->release_caller());  // the init was born in the cgroup
  child_end.handle().reset();
  fifo.reset();    // only the init may hold the read end: `start` relies on ENXIO otherwise
  placement = {};  // the child has its copies
  // The init's alone: `start` sees ECONNREFUSED once it is gone.
  start_listener.reset();

  auto handoff = [&](pid_t pid, int fd) -> Status {
    if (request.seccomp == nullptr) return Error::invalid("sync: seccomp-fd without a filter");
    state::Record now = record;
    now.pid = pid;
    auto process_state = security::container_process_state(
        state::oci_state(now, state::Status::creating), pid, request.seccomp->listener_metadata);
    return security::send_to_listener(request.seccomp->listener_path, process_state, fd);
  };
  auto init = converse(parent_end, launch, child, intermediate, with_hooks ? &init_hooks : nullptr,
                       terminal, handoff);
  if (!init) return std::move(init).error();
  cleanup.init = *init;
  if (intermediate) cleanup.child = 0;

  Created created;
  created.pid = *init;
  created.terminal = std::move(terminal.master);
  if (pidfd >= 0) {
    created.pidfd.reset(pidfd);
  } else {
    ARCA_ASSIGN(created.pidfd, linux_sys::pidfd_open(*init));
  }
  if (launch.oom_score_adj) {
    ARCA_TRY(linux_sys::write_existing("/proc/" + std::to_string(*init) + "/oom_score_adj",
                                       std::to_string(*launch.oom_score_adj)));
  }
  record.pid = *init;
  record.start_time = state::process_start_time(*init);
  record.creating = false;
  ARCA_TRY(dir.save(record));
  ARCA_TRY(write_pid_file(request.pid_file, *init));
  ARCA_TRY(parent_end.send({MsgType::kAck, 0, request.start_now ? 1 : 0, {}}));
  if (request.start_now && !request.config->hooks.start_container.empty()) {
    ARCA_TRY(await_start_report(parent_end));
  }
  cleanup.dismissed = true;
  return created;
}

Result<int> wait_forwarding(pid_t pid, const sigset_t& forwarded) {
  sigset_t waitset = forwarded;
  sigaddset(&waitset, SIGCHLD);
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      continue;
    }
    if (r < 0 && errno != EINTR) return Error::os("wait for container init");
    siginfo_t info;
    int sig = sigwaitinfo(&waitset, &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    kill(pid, sig);
  }
}

}  // namespace arca::process
