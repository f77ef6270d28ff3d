// The end of a container's life, shared by start, run and delete: poststart hooks once
// the process runs, and destroying a container (then its poststop hooks).
#pragma once

#include "container.h"

namespace arca::cli {

// Kills what is left of the container, removes its cgroups and state dir, then runs its
// poststop hooks (runtime.md lifecycle steps 12-13; a failing one is only a warning).
Status destroy_container(Container& c);

// Runs the poststart hooks of a container whose process has just started. A failing
// hook fails the verb and the container is destroyed, as runc does (runtime-spec 1.2:
// "generate an error, stop the container, and continue the lifecycle at step 12").
Status run_poststart(Container& c);

}  // namespace arca::cli
