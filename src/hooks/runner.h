// Running hooks: fork + exec with the state on stdin, stdout and stderr captured, a
// timeout enforced through a pidfd. No threads: one poll() loop feeds stdin, collects
// the output and waits for the exit.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "hooks/phases.h"
#include "spec/config.h"
#include "state/state.h"

namespace arca::hooks {

// Runs one hook with `input` on its stdin. argv is `args` (or just `path` when empty),
// the environment is `env`; without one, `fallback_env`, or arca's own environment when
// that is null (runc does the same: its runtime-namespace hooks get runc's environment,
// hooks in the container the container process's). The hook
// gets only fds 0-2, default signal dispositions and an empty signal mask. Errors are
// the reason alone: "exec: No such file or directory", "exit status 3",
// "killed by signal 9", "timed out after 5s", followed by `, output: "..."` (the end of
// what it printed) when it printed anything.
Status run_hook(const spec::Hook& hook, const std::string& input,
                const std::vector<std::string>* fallback_env = nullptr);

// Runs the hooks of `phase` in order with the state of `record` on stdin. The first
// failure stops the list and names the hook:
// `createRuntime hook 0 "/usr/bin/foo": exit status 1`.
Status run_phase(const spec::Hooks& hooks, Phase phase, const state::Record& record,
                 const std::vector<std::string>* fallback_env = nullptr);

// The same, but a failure is only a warning and the remaining hooks still run
// (poststop, runtime.md lifecycle step 13).
void run_phase_warning(const spec::Hooks& hooks, Phase phase, const state::Record& record);

}  // namespace arca::hooks
