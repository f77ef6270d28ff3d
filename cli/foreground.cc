#include "foreground.h"

#include <signal.h>
#include <sys/wait.h>

#include "base/log.h"
#include "console/proxy.h"
#include "container.h"
#include "lifecycle.h"
#include "passthrough.h"
#include "security/exe_protection.h"

namespace arca::cli {

Status poststart_after_run(const Globals& g, const process::CreateRequest& request) {
  if (request.config->hooks.poststart.empty()) return {};
  ARCA_ASSIGN(Container c, open_container(g, request.id, true));
  return run_poststart(c);
}

Result<int> run_in_foreground(const Globals& g, process::CreateRequest request, bool keep) {
  request.start_now = true;
  sigset_t forwarded = forwarded_signals();
  sigset_t blocked = forwarded;
  sigaddset(&blocked, SIGCHLD);   // sigwaitinfo / signalfd only see blocked signals
  sigaddset(&blocked, SIGWINCH);  // for the terminal relay; ignored by default anyway
  // Blocked before clone so no signal is lost between clone and the wait loop; the
  // init restores the original mask first thing.
  sigprocmask(SIG_BLOCK, &blocked, &request.original_mask);
  ARCA_ASSIGN(process::Created created, process::create_container(request));
  ARCA_TRY(poststart_after_run(g, request));
  security::release_binary_view();  // the container runs: off its start-up path
  auto status = created.terminal.valid()
                    ? console::proxy_until_exit(created.terminal.get(), created.pid, forwarded)
                    : process::wait_forwarding(created.pid, forwarded);
  created.terminal.reset();
  if (!status) {
    // arca cannot follow the container any more: end it rather than leave it behind.
    kill(created.pid, SIGKILL);
    waitpid(created.pid, nullptr, 0);
  }
  if (!keep) {
    // The init is gone, and with it its pid namespace's processes.
    if (auto c = open_container(g, request.id, true)) {
      if (auto s = destroy_container(*c); !s) log::warn(s.error().render());
    }
  }
  return status;
}

}  // namespace arca::cli
