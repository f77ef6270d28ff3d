// create and run.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "bundle.h"
#include "console/console_socket.h"
#include "foreground.h"
#include "passthrough.h"
#include "process/launcher.h"
#include "security/exe_protection.h"
#include "state/state.h"
#include "verbs.h"

namespace arca::cli {

namespace {

struct CreateOptions {
  std::string id;
  std::string bundle;
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  bool detach = false;
  bool keep = false;
  bool die_with_parent = false;  // `arca shell`: the container is SIGKILLed if arca dies
};

void add_common(args::Command* sub, CreateOptions& o) {
  sub->add_option("id", o.id, "container id")->required();
  sub->add_option("-b,--bundle", o.bundle, "bundle directory (default: current directory)");
  sub->add_option("--pid-file", o.pid_file, "write the init's pid to this file");
  sub->add_option("--console-socket", o.console_socket,
                  "with process.terminal: send the pty master to this unix socket");
  sub->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
  sub->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
  sub->add_option("--preserve-fds", o.preserve_fds, "pass this many fds beyond stdio");
}

// systemd socket activation: LISTEN_FDS fds after stdio pass through, as runc does.
void add_listen_fds(plan::Launch& launch, int& preserve_fds) {
  int n = listen_fds();
  if (n == 0) return;
  preserve_fds += n;
  launch.env.push_back("LISTEN_FDS=" + std::to_string(n));
  launch.env.push_back("LISTEN_PID=1");
}

Result<int> create_or_run_bundle(const Globals& g, const CreateOptions& o, Bundle& bundle,
                                 bool run) {
  bool detached = !run || o.detach;
  ARCA_TRY(
      console::check_terminal_use(bundle.launch.terminal, detached, !o.console_socket.empty()));
  // Before anything is forked: every process from here on runs the protected binary.
  ARCA_TRY(security::protect_binary(bundle.launch, g.argv));
  int preserve = o.preserve_fds;
  add_listen_fds(bundle.launch, preserve);

  process::CreateRequest request;
  request.root = g.root;
  request.id = o.id;
  request.bundle = bundle.dir;
  request.config = &bundle.config;
  request.config_text = bundle.config_text;
  request.launch = &bundle.launch;
  request.seccomp = bundle.seccomp ? &*bundle.seccomp : nullptr;
  request.pid_file = o.pid_file;
  request.no_pivot = o.no_pivot;
  request.new_keyring = !o.no_new_keyring;
  request.preserve_fds = preserve;
  request.systemd_cgroup = g.systemd_cgroup;
  request.console_socket = o.console_socket;
  request.die_with_parent = o.die_with_parent;
  if (!detached) return run_in_foreground(g, std::move(request), o.keep);
  request.start_now = run;
  sigprocmask(SIG_BLOCK, nullptr, &request.original_mask);
  ARCA_TRY(process::create_container(request));
  if (run) ARCA_TRY(poststart_after_run(g, request));
  return 0;
}

Result<int> create_or_run(const Globals& g, CreateOptions& o, bool run) {
  ARCA_TRY(state::validate_id(o.id));
  if (o.preserve_fds < 0) return Error::invalid("--preserve-fds: must not be negative");
  ARCA_ASSIGN(Bundle bundle, load_bundle(o.bundle));
  return create_or_run_bundle(g, o, bundle, run);
}

}  // namespace

Result<int> run_foreground(const Globals& g, const std::string& id, Bundle& bundle,
                           bool die_with_parent) {
  ARCA_TRY(state::validate_id(id));
  CreateOptions o;
  o.id = id;
  o.die_with_parent = die_with_parent;
  return create_or_run_bundle(g, o, bundle, true);
}

void add_create_and_run(args::Command& app, Globals& g, Action& action) {
  static CreateOptions create;
  auto* c = app.add_subcommand("create", "create a container (its init waits for `start`)");
  add_common(c, create);
  c->callback([&] {
    action = [&]() -> Result<int> {
      auto r = create_or_run(g, create, false);
      if (!r) return std::move(r).error().context(op("create", create.id));
      return r;
    };
  });

  static CreateOptions run;
  auto* r = app.add_subcommand(
      "run", "create and start a container, wait for it to exit (relaying its terminal)");
  add_common(r, run);
  r->add_flag("-d,--detach", run.detach, "do not wait for the container");
  r->add_flag("--keep", run.keep, "keep the container's state after it exits");
  r->callback([&] {
    action = [&]() -> Result<int> {
      auto res = create_or_run(g, run, true);
      if (!res) return std::move(res).error().context(op("run", run.id));
      return res;
    };
  });
}

}  // namespace arca::cli
