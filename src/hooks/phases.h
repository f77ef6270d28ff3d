// OCI lifecycle hooks as data (runtime-spec 1.2 config.md "POSIX-platform Hooks",
// runtime.md "Lifecycle"): which list runs at which point, what state it reads on stdin,
// and how state.json keeps the lists that later verbs run. Pure: no processes here
// (runner.h runs them).
//
//   phase            runs in                      by          when
//   prestart         runtime namespaces            arca create  mounts done, before pivot_root
//   createRuntime    runtime namespaces            arca create  right after prestart
//   createContainer  container namespaces          the init     before pivot_root
//   startContainer   container (after pivot_root)  the init     after `start`, before execve
//   poststart        runtime namespaces            arca start   after the process started
//   poststop         runtime namespaces            arca delete  after the container is gone
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "spec/config.h"
#include "state/state.h"

namespace arca::hooks {

enum class Phase {
  prestart,
  create_runtime,
  create_container,
  start_container,
  poststart,
  poststop
};

// The config.json key: "createRuntime".
const char* name(Phase phase);
const std::vector<spec::Hook>& select(const spec::Hooks& hooks, Phase phase);

// The status the state on a hook's stdin says, as runc sends it where it runs the hook
// at the same point: creating up to pivot_root, created before execve, running once the
// process runs, stopped after delete.
state::Status status_at(Phase phase);

// The state document a hook of `phase` reads on stdin: the OCI state of `record` with
// the status of the phase (pid omitted once stopped, as `state` does).
std::string state_json(const state::Record& record, Phase phase);

// Whether create needs the init to stop before pivot_root (prestart, createRuntime and
// createContainer) or to report from after `start` (startContainer). Either needs the
// init's host pid, which only the parent knows, so all share one round trip.
bool needs_init_hooks(const spec::Hooks& hooks);

// The lists the verbs after create run (poststart by start, poststop by delete), as
// state.json's "extra.hooks" keeps them; only non-empty lists appear.
nlohmann::json to_record(const spec::Hooks& hooks);
// Reads them back from a record's "extra" object (no "hooks" key: no hooks).
Result<spec::Hooks> from_record(const nlohmann::json& extra);

}  // namespace arca::hooks
