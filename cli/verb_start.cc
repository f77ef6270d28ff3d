#include <fcntl.h>
#include <unistd.h>

#include "base/log.h"
#include "container.h"
#include "lifecycle.h"
#include "process/hook_points.h"

namespace arca::cli {

namespace {

Result<int> start(const Globals& g, const std::string& id) {
  ARCA_ASSIGN(Container c, open_container(g, id, true));
  if (c.status != state::Status::created) {
    return Error::invalid(std::string("cannot start a container that is ") +
                          state::to_string(c.status));
  }
  // Before the fifo: the init finds this connection queued once it wakes up, and reports
  // how its startContainer hooks went (no start.sock: it has none).
  ARCA_ASSIGN(process::SyncChannel report, process::connect_for_start(c.dir.fd()));
  // O_NONBLOCK: if the init is gone there is no reader and open fails with ENXIO
  // instead of blocking forever.
  UniqueFd fifo(openat(c.dir.fd(), "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo.valid()) {
    if (errno == ENXIO) return Error::invalid("container init is not waiting: it has exited");
    return Error::os("open exec fifo");
  }
  if (write(fifo.get(), "0", 1) != 1) return Error::os("write exec fifo");
  // No fifo means "running" to everyone reading the state from now on.
  if (unlinkat(c.dir.fd(), "exec.fifo", 0) != 0) return Error::os("remove exec fifo");
  if (report.fd() >= 0) {
    (void)unlinkat(c.dir.fd(), "start.sock", 0);
    if (auto started = process::await_start_report(report); !started) {
      // The init has exited; runtime.md: stop the container and destroy it.
      if (auto destroyed = destroy_container(c); !destroyed) log::warn(destroyed.error().render());
      return std::move(started).error();
    }
  }
  ARCA_TRY(run_poststart(c));
  return 0;
}

}  // namespace

void add_start(args::Command& app, Globals& g, Action& action) {
  static std::string id;
  auto* sub = app.add_subcommand("start", "start a created container");
  sub->add_option("id", id, "container id")->required();
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = start(g, id);
      if (!r) return std::move(r).error().context(op("start", id));
      return r;
    };
  });
}

}  // namespace arca::cli
