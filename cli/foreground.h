// `run` in the foreground, shared by `arca run` and `arca shell`.
#pragma once

#include "base/error.h"
#include "process/launcher.h"
#include "verbs.h"

namespace arca::cli {

// Creates the container from `request` (start_now is set here) with the forwarded
// signals blocked from before clone, runs the poststart hooks, then waits for its init:
// with process.terminal (request.launch->terminal) arca relays the pty on its own
// stdin/stdout (console::proxy_until_exit: raw mode, window size, SIGWINCH), otherwise
// it forwards signals while the container uses arca's stdio. Afterwards the container is
// destroyed (cgroups, state dir, poststop hooks) unless `keep`. Returns the container's
// status (code, or 128+N for signal N).
Result<int> run_in_foreground(const Globals& g, process::CreateRequest request, bool keep);

// The poststart hooks of a container `run` has just started (with or without -d); a
// failing one destroys the container. No hooks: nothing to do.
Status poststart_after_run(const Globals& g, const process::CreateRequest& request);

}  // namespace arca::cli
