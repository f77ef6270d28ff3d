#include "process/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "console/console_socket.h"
#include "linux/syscalls.h"
#include "process/exec_child.h"
#include "process/exec_namespaces.h"
#include "process/launcher.h"
#include "process/sync.h"
#include "security/credentials.h"
#include "security/listener_handoff.h"

namespace arca::process {

namespace {

// Kills and reaps the child unless dismissed: a failed exec leaves no process behind.
struct ChildGuard {
  pid_t pid = 0;
  bool dismissed = false;
  ~ChildGuard() {
    if (dismissed || pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

// The init's path in the cgroup2 hierarchy ("0::/x/c1" in /proc/PID/cgroup), "" if none.
std::string init_cgroup2_path(pid_t init) {
  auto text = linux_sys::read_file("/proc/" + std::to_string(init) + "/cgroup");
  if (!text) return {};
  size_t at = text->rfind("0::", 0) == 0 ? 0 : text->find("\n0::");
  if (at == std::string::npos) return {};
  if (at > 0) ++at;
  size_t end = text->find('\n', at);
  return text->substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
}

bool holds_process(const std::string& dir, pid_t pid) {
  auto procs = linux_sys::read_file(dir + "/cgroup.procs");
  if (!procs) return false;
  const std::string want = std::to_string(pid);
  size_t start = 0;
  while (start < procs->size()) {
    size_t end = procs->find('\n', start);
    if (end == std::string::npos) end = procs->size();
    if (procs->compare(start, end - start, want) == 0) return true;
    start = end + 1;
  }
  return false;
}

// The recorded cgroups as a cgroups::Placement: the `tasks` file of every v1 hierarchy
// (the child writes "0" to it: no global lock, unlike a parent writing its pid to
// cgroup.procs) and the cgroup2 directory for CLONE_INTO_CGROUP.
Result<cgroups::Placement> plan_placement(const nlohmann::json* recorded, pid_t init) {
  cgroups::Placement placement;
  if (recorded == nullptr || !recorded->is_object()) return placement;
  std::set<std::string> v1;  // co-mounted controllers share a directory
  for (const auto& [controller, dir] : recorded->items()) {
    if (!dir.is_string() || dir.get_ref<const std::string&>().empty()) continue;
    const std::string& path = dir.get_ref<const std::string&>();
    if (!controller.empty()) {
      v1.insert(path);
      continue;
    }
    std::string target = cgroup2_candidate(path, init_cgroup2_path(init));
    if (target != path && !holds_process(target, init)) target = path;
    placement.v2_dir.reset(open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!placement.v2_dir.valid()) return Error::os("open cgroup " + quote(target));
  }
  for (const auto& dir : v1) {
    UniqueFd tasks(open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
    if (!tasks.valid()) return Error::os("open " + quote(dir + "/tasks"));
    placement.tasks.push_back(std::move(tasks));
  }
  return placement;
}

// In a user namespace whose setgroups is "deny" (made by an unprivileged caller),
// setgroups(2) fails: only the groups it already has are possible.
bool setgroups_allowed(pid_t init, int join_flags) {
  if (!(join_flags & CLONE_NEWUSER)) return true;
  auto text = linux_sys::read_file("/proc/" + std::to_string(init) + "/setgroups");
  return !text || text->rfind("deny", 0) != 0;
}

// The rest of the conversation: kError, or end-of-file once execve closed the child's end;
// before that the pty master (-t), and the seccomp listener fd, which goes to the agent
// at once.
Status await_exec(const SyncChannel& channel, const ExecRequest& request, pid_t child,
                  console::MasterRoute& route) {
  bool terminal = request.launch->terminal;
  for (;;) {
    UniqueFd fd;
    auto msg = channel.receive(&fd);
    if (!msg) {
      if (!channel.closed_by_peer(msg.error())) return std::move(msg).error();
      if (terminal) return Error::invalid("sync: the process exec'd without sending its terminal");
      return {};
    }
    if (msg->type == MsgType::kError) {
      return Error(msg->err, msg->text).context("container process");
    }
    if (msg->type == MsgType::kTerminal && terminal) {
      ARCA_TRY(route.take(std::move(fd)));
      terminal = false;
      continue;
    }
    if (msg->type != MsgType::kSeccompFd || !fd.valid() || request.seccomp == nullptr) {
      return Error::invalid(std::string("sync: unexpected ") + to_string(msg->type));
    }
    const auto& seccomp = *request.seccomp;
    ARCA_TRY(security::send_to_listener(
        seccomp.listener_path,
        security::container_process_state(request.state, child, seccomp.listener_metadata),
        fd.get()));
  }
}

}  // namespace

std::string cgroup2_candidate(const std::string& recorded, const std::string& init_cgroup) {
  // The longest head of init_cgroup, cut before a '/', that the recorded directory ends
  // with: the rest is where the init went below it. Heads start with '/', so a match
  // also ends at a component boundary of `recorded`; "/" alone is no evidence.
  size_t cut = init_cgroup.size();
  while (cut > 0 && !init_cgroup.empty() && init_cgroup[0] == '/') {
    std::string_view head(init_cgroup.data(), cut);
    if (recorded.size() >= head.size() &&
        recorded.compare(recorded.size() - head.size(), head.size(), head) == 0) {
      return recorded + init_cgroup.substr(cut);
    }
    cut = init_cgroup.rfind('/', cut - 1);
    if (cut == std::string::npos) break;
  }
  return recorded;
}

Result<ExecStarted> exec_process(const ExecRequest& request) {
  console::MasterRoute terminal;
  if (!request.console_socket.empty()) {
    // Connected before anything exists: a bad path leaves nothing to undo.
    ARCA_ASSIGN(terminal.console_socket, console::connect_console_socket(request.console_socket));
  }
  ARCA_ASSIGN(int flags, namespaces_to_join(request.init_pid));
  ARCA_ASSIGN(cgroups::Placement placement, plan_placement(request.cgroup, request.init_pid));
  ExecChildOptions options;
  options.launch = request.launch;
  options.seccomp = request.seccomp;
  options.init_pidfd = request.init_pidfd;
  options.init_pid = request.init_pid;
  options.join_flags = flags & ~CLONE_NEWPID;
  options.setgroups_allowed = setgroups_allowed(request.init_pid, flags);
  options.preserve_fds = request.preserve_fds;
  options.listen_pid_self = request.listen_pid_self;
  options.original_mask = request.original_mask;
  security::last_capability();  // cache before the container's /proc replaces ours

  // The child is born inside the container's pid namespace, where the container's
  // processes can see it while it is still arca: it must be non-dumpable from its first
  // instruction (CVE-2019-5736 class), so it inherits that from us.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Changes only where our children are born; arca itself stays where it is.
  if ((flags & CLONE_NEWPID) && setns(request.init_pidfd, CLONE_NEWPID) != 0) {
    return Error::os("join the container's pid namespace");
  }
  ARCA_ASSIGN(auto channels, SyncChannel::make_pair());
  auto& [parent_end, child_end] = channels;
  std::vector<int> cgroup_tasks;
  for (const auto& fd : placement.tasks) cgroup_tasks.push_back(fd.get());
  auto child = clone_child(0, nullptr, placement, cgroup_tasks);
  if (!child) {
    // A pid namespace whose init has exited takes no new members.
    if (child.error().code() == ENOMEM && (flags & CLONE_NEWPID)) {
      return Error(ESRCH, "container init has exited");
    }
    return std::move(child).error().context("start the process");
  }
  if (*child == 0) {
    parent_end.handle().reset();
    terminal.console_socket.reset();  // the caller's socket gets nothing from the container
    options.channel = &child_end;
    options.cgroup_tasks = cgroup_tasks.data();
    options.cgroup_task_count = cgroup_tasks.size();
    run_exec_child(options);
  }
  ChildGuard guard{*child};
  child_end.handle().reset();
  placement = {};  // the child has its copies
  ARCA_TRY(await_exec(parent_end, request, *child, terminal));
  guard.dismissed = true;
  return ExecStarted{*child, std::move(terminal.master)};
}

}  // namespace arca::process
