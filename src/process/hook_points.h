// Where the lifecycle hooks meet create/run/start (the hooks themselves: src/hooks/).
//
// - create: the init stops after its mounts, before pivot_root, with kHooksRequest; the
//   parent runs prestart and createRuntime in the runtime namespaces and answers
//   kHooksDone {init pid}; the init then runs createContainer in the container's mount
//   namespace (its host paths are still reachable before pivot_root).
// - start: after the exec fifo (or kAck for `run`) the init runs startContainer in the
//   container and reports kStarted or kError before execve: to `run` over the sync
//   channel, to `arca start` over <state dir>/start.sock, which create binds and the init
//   inherits, listening. `start` connects before it writes the fifo, so the connection
//   is queued by the time the init wakes up.
// - poststart (start, run) and poststop (delete, a failed create) run in the runtime
//   namespaces from cli/ and the launcher's cleanup.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "process/sync.h"
#include "spec/config.h"
#include "state/state.h"

namespace arca::process {

// What the init carries for hooks; built by the parent before clone (the init is a fork
// and has it in memory).
struct InitHooks {
  const spec::Hooks* hooks = nullptr;
  state::Record record;  // the state the hooks read; the pid arrives with kHooksDone
  // Hooks in the container without an `env` get the container process's, as with runc.
  const std::vector<std::string>* container_env = nullptr;
  int start_listener = -1;  // create with startContainer hooks: start.sock, listening
};

// Init, the checklist step before pivot_root.
Status run_hooks_before_pivot(const SyncChannel& channel, InitHooks& hooks);
// Init, after `start` and before execve: runs the startContainer hooks with `env` as
// their default environment and reports the outcome to `run_channel` (`run`) or to
// `arca start` (start.sock). Returns the failure once it is reported.
Status run_start_hooks(const SyncChannel* run_channel, InitHooks& hooks,
                       const std::vector<std::string>& env);

// Parent: answers kHooksRequest (prestart, then createRuntime) with kHooksDone.
Status answer_hooks_request(const SyncChannel& channel, const InitHooks& hooks, pid_t init);
// Parent: binds start.sock in the state dir open at `dir_fd` and listens. The fd is placed
// at `min_fd` or above, so that it stays clear of the fds the init passes on.
Result<UniqueFd> listen_for_start(int dir_fd, int min_fd);

// `start`: connects to the container's start.sock. No socket (no startContainer hooks)
// or nobody listening (the init is gone): a channel with fd -1.
Result<SyncChannel> connect_for_start(int dir_fd);
// `start` and `run`: waits for the init's kStarted; its kError becomes the error.
Status await_start_report(const SyncChannel& channel);

}  // namespace arca::process
