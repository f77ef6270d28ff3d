#include "process/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "linux/syscalls.h"
#include "process/init.h"
#include "process/sync.h"
#include "security/credentials.h"
#include "state/state.h"

namespace arca::process {

namespace {

// Everything a failed create must undo, undone in the destructor unless dismissed.
struct Cleanup {
  state::StateDir* dir = nullptr;
  pid_t child = 0;
  pid_t init = 0;
  bool dismissed = false;
  ~Cleanup() {
    if (dismissed) return;
    for (pid_t pid : {init, child}) {
      if (pid > 0) kill(pid, SIGKILL);
    }
    for (pid_t pid : {child, init}) {
      if (pid > 0) waitpid(pid, nullptr, 0);
    }
    if (dir != nullptr) (void)dir->remove();
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
                             bool intermediate) {
  InitOptions options;
  options.launch = request.launch;
  options.channel = &channel;
  options.exec_fifo_fd = fifo_fd;
  options.preserve_fds = request.preserve_fds;
  options.no_pivot = request.no_pivot;
  options.new_keyring = request.new_keyring;
  options.original_mask = request.original_mask;
  if (intermediate) run_intermediate(options);
  run_init(options);
}

// The sync conversation up to kReady. Returns the init's pid.
Result<pid_t> converse(const SyncChannel& channel, const plan::Launch& launch, pid_t child,
                       bool intermediate) {
  ParentProtocol protocol(launch.new_user_ns, intermediate);
  pid_t init = intermediate ? 0 : child;
  while (!protocol.ready()) {
    auto msg = channel.receive();
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
      default:
        break;
    }
  }
  return init;
}

}  // namespace

Result<Created> create_container(const CreateRequest& request) {
  const plan::Launch& launch = *request.launch;
  ARCA_ASSIGN(state::StateDir dir, state::StateDir::create(request.root, request.id));
  Cleanup cleanup;
  cleanup.dir = &dir;

  state::Record record;
  record.id = request.id;
  record.bundle = request.bundle;
  record.rootfs = launch.rootfs;
  record.created = state::now_rfc3339();
  record.annotations = request.config->annotations;
  // No state.json until the init is ready: a state dir without one reads as
  // "creating" (cli/container.cc), which saves a file write on every start.

  UniqueFd fifo;
  if (!request.start_now) {
    if (mkfifoat(dir.fd(), "exec.fifo", 0600) != 0) return Error::os("mkfifo exec.fifo");
    fifo.reset(openat(dir.fd(), "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo.valid()) return Error::os("open exec.fifo");
  }
  ARCA_ASSIGN(auto channels, SyncChannel::make_pair());
  auto& [parent_end, child_end] = channels;

  // Direct clone into every new namespace unless something must happen between
  // joining/creating a namespace and forking the init (see run_intermediate).
  bool intermediate = launch.needs_intermediate || !launch.time_offsets.empty();
  security::last_capability();  // cache before the container's /proc replaces ours
  int pidfd = -1;
  uint64_t flags = intermediate ? 0 : static_cast<uint64_t>(launch.clone_flags);
  ARCA_ASSIGN(pid_t child, linux_sys::clone3_fork(flags, intermediate ? nullptr : &pidfd));
  if (child == 0) {
    // The state dir fd carries create's flock: an init holding it would block every
    // later verb on this container.
    close(dir.fd());
    parent_end.handle().reset();
    child_main(request, child_end, fifo.release(), intermediate);
  }
  cleanup.child = child;
  child_end.handle().reset();
  fifo.reset();  // only the init may hold the read end: `start` relies on ENXIO otherwise

  auto init = converse(parent_end, launch, child, intermediate);
  if (!init) return std::move(init).error();
  cleanup.init = *init;
  if (intermediate) cleanup.child = 0;

  Created created;
  created.pid = *init;
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
