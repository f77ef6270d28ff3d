// features: what this build implements, as runtime-spec features.md describes.
#include <cstdio>

#include "plan/launch.h"
#include "security/seccomp.h"
#include "verbs.h"

namespace arca::cli {

namespace {

nlohmann::json features() {
  nlohmann::json caps = nlohmann::json::array();
  for (const auto& name : plan::capability_names()) caps.push_back(name);
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.2.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", plan::mount_option_names()},
      {"linux",
       {
           {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"}},
           {"capabilities", caps},
           {"cgroup",
            {{"v1", true},
             {"v2", true},
             {"systemd", true},  // tested against a fake systemd only
             {"systemdUser", false},
             {"rdma", false}}},
           {"seccomp",
            {{"enabled", true},
             {"actions", security::seccomp_action_names()},
             {"operators", security::seccomp_operator_names()},
             {"archs", security::seccomp_arch_names()},
             {"knownFlags", security::seccomp_flag_names()},
             {"supportedFlags", security::seccomp_flag_names()}}},
           // As runc: arca can apply both; whether the host runs them is another matter.
           {"apparmor", {{"enabled", true}}},
           {"selinux", {{"enabled", true}}},
           {"intelRdt", {{"enabled", false}}},
           {"mountExtensions", {{"idmap", {{"enabled", false}}}}},
       }},
      {"annotations",
       {{"org.opencontainers.runtime.name", "arca"},
        {"org.opencontainers.runtime.version", ARCA_VERSION}}},
  };
}

}  // namespace

void add_features(args::Command& app, Globals&, Action& action) {
  auto* sub = app.add_subcommand("features", "print the features this runtime implements");
  sub->callback([&] {
    action = []() -> Result<int> {
      printf("%s\n", features().dump(2).c_str());
      return 0;
    };
  });
}

}  // namespace arca::cli
