// Loading a bundle for create/run: config.json -> validated spec -> launch plan.
#pragma once

#include <string>

#include "base/error.h"
#include "plan/launch.h"
#include "security/seccomp.h"
#include "spec/config.h"
#include "verbs.h"

namespace arca::cli {

struct Bundle {
  std::string dir;  // absolute
  std::string config_text;  // as read: create keeps a copy for `exec`
  spec::Config config;
  plan::Launch launch;
  // Compiled before clone: the init only loads it (no libseccomp after fork).
  std::optional<security::SeccompProgram> seccomp;
};

// Reads <dir>/config.json (dir defaults to the working directory), validates it and
// plans the launch. Features that later work owns are refused or warned about here, so
// nothing in a config is silently ignored.
Result<Bundle> load_bundle(const std::string& dir);

// load_bundle after reading config.json, also for a config built in memory (`arca
// shell`): parsed, validated and planned with `dir` (absolute) as the bundle directory.
Result<Bundle> bundle_from_text(std::string text, const std::string& dir);

// What `arca run ID` does once its bundle is loaded: create, start, wait forwarding
// signals, then remove the state dir and cgroups. With `die_with_parent` the container is
// SIGKILLed when arca dies (`arca shell`: nothing may outlive it).
Result<int> run_foreground(const Globals& g, const std::string& id, Bundle& bundle,
                           bool die_with_parent);

}  // namespace arca::cli
