// Loading a bundle for create/run: config.json -> validated spec -> launch plan.
#pragma once

#include <string>

#include "base/error.h"
#include "plan/launch.h"
#include "security/seccomp.h"
#include "spec/config.h"

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

}  // namespace arca::cli
