// SCMP_ACT_NOTIFY: handing the seccomp listener fd to the agent at linux.seccomp.listenerPath.
//
// The init loads the filter (which yields the listener fd), sends the fd to arca over the
// sync channel (kSeccompFd), and arca connects to the agent's unix socket and sends, in one
// message, the runtime-spec ContainerProcessState as JSON with the fd attached
// (SCM_RIGHTS), as runc does:
//   {"ociVersion": ..., "fds": ["seccompFd"], "pid": <init>, "metadata": listenerMetadata,
//    "state": {"ociVersion", "id", "status": "creating", "pid", "bundle", "annotations"}}
// (runc 1.1 says "creating" too; "metadata" and "annotations" are left out when empty).
// The hand-off happens as soon as the fd arrives: a notifying syscall of the init itself
// would otherwise wait for an agent that never got the fd.
// (Not in a seccomp_* file: those are the pure compiler, which the config fuzzer links
// without any socket code.)
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"

namespace arca::security {

// The ContainerProcessState for a process `pid` of a container whose OCI state is `state`.
nlohmann::json container_process_state(const nlohmann::json& state, pid_t pid,
                                       const std::string& metadata);

// Connects to the unix socket at `listener_path` and sends `process_state` with `fd`.
// Errors name the listener.
Status send_to_listener(const std::string& listener_path, const nlohmann::json& process_state,
                        int fd);

}  // namespace arca::security
