// kill and delete.
#include <signal.h>

#include "container.h"
#include "lifecycle.h"
#include "signals.h"

namespace arca::cli {

namespace {

struct KillOptions {
  std::string id;
  std::string signal = "SIGTERM";
  bool all = false;
};

Result<int> kill_container(const Globals& g, const KillOptions& o) {
  ARCA_ASSIGN(int sig, parse_signal(o.signal));
  ARCA_ASSIGN(Container c, open_container(g, o.id, true));
  if (c.status == state::Status::stopped && o.all) {
    // As runc: --all signals what is left in the cgroup of a stopped container and
    // succeeds; containerd-shim-runc-v2 sends `kill --all ID 9` after every init exit.
    signal_cgroup(c.record, sig);
    return 0;
  }
  if (c.status == state::Status::stopped || c.status == state::Status::creating) {
    return Error::invalid("container is not running");
  }
  auto sent = o.all ? signal_all(c.record, sig) : signal_init(c.record, sig);
  if (!sent) {
    if (sent.error().code() == ESRCH) return Error::invalid("container is not running");
    return std::move(sent).error();
  }
  // SIGKILL thawed a paused container (signals.h), as Podman's `rm -f` and containerd's
  // kill of a paused task need; other signals stay pending until it is resumed.
  return 0;
}

struct DeleteOptions {
  std::string id;
  bool force = false;
};

Result<int> delete_container(const Globals& g, const DeleteOptions& o) {
  auto c = open_container(g, o.id, true);
  if (!c) {
    // runc: deleting a container that does not exist is fine with --force.
    if (o.force && state::validate_id(o.id)) return 0;
    return std::move(c).error();
  }
  // Holding the lock, "creating" means the create that held it died: nothing to wait for.
  bool live = c->status == state::Status::running || c->status == state::Status::paused;
  if (live && !o.force) {
    return Error::invalid(std::string("cannot delete a container that is ") +
                          state::to_string(c->status) + " (use --force)");
  }
  ARCA_TRY(destroy_container(*c));
  return 0;
}

}  // namespace

void add_kill(args::Command& app, Globals& g, Action& action) {
  static KillOptions o;
  auto* sub = app.add_subcommand("kill", "send a signal to the container's init");
  sub->add_option("id", o.id, "container id")->required();
  sub->add_option("signal", o.signal, "signal name or number (default SIGTERM)");
  sub->add_flag("-a,--all", o.all, "signal every process of the container");
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = kill_container(g, o);
      if (!r) return std::move(r).error().context(op("kill", o.id));
      return r;
    };
  });
}

void add_delete(args::Command& app, Globals& g, Action& action) {
  static DeleteOptions o;
  auto* sub = app.add_subcommand("delete", "delete a container and its state");
  sub->alias("rm");
  sub->add_option("id", o.id, "container id")->required();
  sub->add_flag("-f,--force", o.force, "kill a running container first");
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = delete_container(g, o);
      if (!r) return std::move(r).error().context(op("delete", o.id));
      return r;
    };
  });
}

}  // namespace arca::cli
