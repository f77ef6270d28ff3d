// exec: run a new process in a running container.
#include <signal.h>
#include <sys/wait.h>

#include <cstdint>
#include <optional>

#include "console/console_socket.h"
#include "console/proxy.h"
#include "container.h"
#include "linux/syscalls.h"
#include "passthrough.h"
#include "process/exec.h"
#include "process/exec_config.h"
#include "process/exec_plan.h"
#include "process/launcher.h"
#include "security/exe_protection.h"
#include "security/lsm.h"
#include "security/seccomp.h"
#include "signals.h"
#include "spec/parse.h"
#include "state/state.h"

namespace arca::cli {

namespace {

struct ExecOptions {
  std::string id;
  std::string process_file;
  std::string pid_file;
  std::string console_socket;
  std::string cwd;
  std::string user;
  bool detach = false;
  bool ignore_paused = false;
  int preserve_fds = 0;
  std::vector<std::string> gids;  // --additional-gids as given
  process::ExecFlags flags;
};

// Where the container's processes may be started from: not while create still runs, not
// once the init is gone, and not into frozen processes unless asked to. A created
// container (init waiting for `start`) takes exec'd processes, as with runc and crun.
Status check_status(const Container& c, bool ignore_paused) {
  switch (c.status) {
    case state::Status::creating:
      return Error::invalid("cannot exec in a container that is still being created");
    case state::Status::stopped:
      return Error::invalid("cannot exec in a stopped container");
    case state::Status::paused:
      if (ignore_paused) return {};
      return Error::invalid("cannot exec in a paused container (use --ignore-paused to override)");
    default:
      return {};
  }
}

// The container's config.json as create kept it (see process/exec_config.h), or the
// bundle's for a container from before the copy existed.
Result<spec::Config> container_config(const Container& c) {
  auto text = process::load_config_copy(c.dir.path());
  if (!text && text.error().code() == ENOENT) {
    text = linux_sys::read_file(c.record.bundle + "/config.json");
  }
  if (!text) return std::move(text).error();
  auto config = spec::parse_config(*text);
  if (!config) return std::move(config).error().context("config.json");
  return config;
}

// The exec'd process: --process FILE or the container's process with the flags applied.
Result<spec::Process> exec_process_spec(const spec::Config& config, const ExecOptions& o) {
  if (o.process_file.empty()) return process::process_from_flags(config.process, o.flags);
  if (o.flags.changes_process()) {
    return Error::invalid(
        "--process: the process comes from the file; COMMAND, -e, -u, --cwd, "
        "--cap, --additional-gids, --no-new-privs, --apparmor and "
        "--process-label cannot be combined with it");
  }
  ARCA_ASSIGN(std::string text, linux_sys::read_file(o.process_file));
  auto process = process::process_from_json(config.process, text);
  if (!process) return std::move(process).error().context("process " + quote(o.process_file));
  return process;
}

// The container's user namespace decides whether its processes could write the arca binary.
Status protect_binary(const spec::Config& config, char** argv) {
  plan::Launch namespaces;
  ARCA_TRY(plan::plan_namespaces(config, &namespaces));
  return security::protect_binary(namespaces, argv);
}

Result<plan::Launch> exec_launch(const spec::Config& config, const ExecOptions& o) {
  ARCA_ASSIGN(spec::Process process, exec_process_spec(config, o));
  ARCA_TRY(console::check_terminal_use(process.terminal, o.detach, !o.console_socket.empty()));
  ARCA_TRY(security::check_process_labels(process));
  bool from_file = !o.process_file.empty();
  auto launch = process::make_exec_launch(config, process, from_file);
  if (!launch) {
    return std::move(launch).error().context(from_file ? "process " + quote(o.process_file)
                                                       : std::string("config.json"));
  }
  return launch;
}

// runc's --additional-gids takes numbers; the parser collects them as text.
Status parse_gids(const std::vector<std::string>& given, std::vector<uint32_t>* out) {
  for (const auto& text : given) {
    int64_t gid = 0;
    if (auto parsed = args::assign(text, gid); !parsed || gid < 0 || gid > UINT32_MAX) {
      return Error::invalid("--additional-gids " + quote(text) + ": must be a group id");
    }
    out->push_back(static_cast<uint32_t>(gid));
  }
  return {};
}

Result<int> exec(const Globals& g, ExecOptions& o) {
  if (o.preserve_fds < 0) return Error::invalid("--preserve-fds: must not be negative");
  ARCA_TRY(parse_gids(o.gids, &o.flags.additional_gids));
  ARCA_ASSIGN(Container c, open_container(g, o.id, false));
  ARCA_TRY(check_status(c, o.ignore_paused));
  auto pidfd = open_init(c.record);
  if (!pidfd) return Error::invalid("cannot exec in a stopped container");
  ARCA_ASSIGN(spec::Config config, container_config(c));
  ARCA_ASSIGN(plan::Launch launch, exec_launch(config, o));
  // The process is visible in the container while it is still arca (CVE-2019-5736).
  ARCA_TRY(protect_binary(config, g.argv));
  std::optional<security::SeccompProgram> seccomp;
  if (config.linux.seccomp) {
    auto program = security::compile_seccomp(*config.linux.seccomp, launch.no_new_privileges);
    if (!program) return std::move(program).error().context("config.json");
    seccomp = std::move(program).value();
  }
  process::ExecRequest request;
  request.init_pid = c.record.pid;
  request.init_pidfd = pidfd->get();
  request.launch = &launch;
  request.seccomp = seccomp ? &*seccomp : nullptr;
  request.state = state::oci_state(c.record, state::Status::running);
  auto cgroup = c.record.extra.find("cgroup");
  request.cgroup = cgroup != c.record.extra.end() ? &*cgroup : nullptr;
  request.preserve_fds = o.preserve_fds;
  request.console_socket = o.console_socket;
  if (int n = listen_fds(); n > 0) {
    request.preserve_fds += n;
    process::set_env(launch.env, "LISTEN_FDS=" + std::to_string(n));
    request.listen_pid_self = true;
  }
  sigset_t forwarded = forwarded_signals();
  sigset_t blocked = forwarded;
  sigaddset(&blocked, SIGCHLD);   // sigwaitinfo / signalfd only see blocked signals
  sigaddset(&blocked, SIGWINCH);  // for the terminal relay; ignored by default anyway
  // Blocked before clone so that none is lost before the wait loop; the child restores
  // the original mask first thing.
  sigprocmask(SIG_BLOCK, o.detach ? nullptr : &blocked, &request.original_mask);
  ARCA_ASSIGN(process::ExecStarted started, process::exec_process(request));
  if (!o.pid_file.empty()) {
    auto written = state::write_file_atomic(o.pid_file, std::to_string(started.pid), 0644);
    if (!written) return std::move(written).error().context("pid file " + quote(o.pid_file));
  }
  if (o.detach) return 0;
  security::release_binary_view();  // the process runs: off its start-up path
  if (!started.terminal.valid()) return process::wait_forwarding(started.pid, forwarded);
  auto status = console::proxy_until_exit(started.terminal.get(), started.pid, forwarded);
  if (!status) {
    // arca cannot relay any more: end the process rather than leave it on a dead pty.
    kill(started.pid, SIGKILL);
    waitpid(started.pid, nullptr, 0);
  }
  return status;
}

}  // namespace

void add_exec(args::Command& app, Globals& g, Action& action) {
  static ExecOptions o;
  auto* sub = app.add_subcommand(
      "exec",
      "run a new process in a running container: exec [flags] ID COMMAND [ARGS...], "
      "or exec [flags] -p FILE ID");
  sub->add_option("-p,--process", o.process_file, "the process as runtime-spec JSON");
  sub->add_flag("-d,--detach", o.detach, "do not wait for the process");
  sub->add_option("--pid-file", o.pid_file, "write the process's pid to this file");
  sub->add_option("--cwd", o.cwd, "working directory in the container");
  sub->add_option("-e,--env", o.flags.env, "NAME=value to set (repeatable)");
  sub->add_option("-u,--user", o.user, "uid[:gid] to run as");
  sub->add_option("-g,--additional-gids", o.gids, "another group (repeatable)");
  sub->add_option("-c,--cap", o.flags.caps, "a capability to add (repeatable)");
  sub->add_flag("--no-new-privs", o.flags.no_new_privs, "set no_new_privs");
  sub->add_option("--preserve-fds", o.preserve_fds, "pass this many fds beyond stdio");
  sub->add_option("--apparmor", o.flags.apparmor, "AppArmor profile");
  sub->add_option("--process-label", o.flags.process_label, "SELinux label");
  sub->add_flag("--ignore-paused", o.ignore_paused, "exec even into a paused container");
  sub->add_flag("-t,--tty", o.flags.tty, "allocate a pseudo-terminal");
  sub->add_option("--console-socket", o.console_socket, "unix socket for the pty master");
  sub->add_option("id", o.id, "container id")->required();
  sub->add_option("command", o.flags.args, "the command and its arguments");
  // Everything after the id is the command, flags included (`exec c1 sh -c 'ls -l'`).
  sub->operands_end_flags();
  sub->callback([&action, &g] {
    if (!o.flags.args.empty() && o.flags.args.front() == "--") {
      o.flags.args.erase(o.flags.args.begin());
    }
    if (!o.cwd.empty()) o.flags.cwd = o.cwd;
    if (!o.user.empty()) o.flags.user = o.user;
    action = [&g]() -> Result<int> {
      auto r = exec(g, o);
      if (!r) return std::move(r).error().context(op("exec", o.id));
      return r;
    };
  });
}

}  // namespace arca::cli
