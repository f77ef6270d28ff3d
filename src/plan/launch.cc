// make_launch: runs the plan sections in dependency order.
//
// linux.resources and linux.seccomp are deliberately not read here: the cgroup and
// security layers consume them straight from the config.
#include "plan/launch.h"

namespace arca::plan {

Result<Launch> make_launch(const spec::Config& config, const std::string& bundle) {
  if (!config.has_process) return Error::invalid("/process: required to start a container");
  Launch launch;
  // Namespaces first: sysctls and hostnames are only legal inside the right namespaces.
  ARCA_TRY(plan_namespaces(config, &launch));
  ARCA_TRY(plan_filesystem(config, bundle, &launch));
  // Devices after mounts: the default nodes depend on whether /dev is a fresh mount.
  ARCA_TRY(plan_devices(config, &launch));
  ARCA_TRY(plan_sysctls(config, &launch));
  ARCA_TRY(plan_process(config, &launch));
  return launch;
}

}  // namespace arca::plan
