#include <gtest/gtest.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "plan/launch.h"

namespace arca::plan {
namespace {

TEST(PlanCapabilities, AllNamesRoundTrip) {
  const char* names[] = {"CAP_CHOWN",
                         "CAP_DAC_OVERRIDE",
                         "CAP_DAC_READ_SEARCH",
                         "CAP_FOWNER",
                         "CAP_FSETID",
                         "CAP_KILL",
                         "CAP_SETGID",
                         "CAP_SETUID",
                         "CAP_SETPCAP",
                         "CAP_LINUX_IMMUTABLE",
                         "CAP_NET_BIND_SERVICE",
                         "CAP_NET_BROADCAST",
                         "CAP_NET_ADMIN",
                         "CAP_NET_RAW",
                         "CAP_IPC_LOCK",
                         "CAP_IPC_OWNER",
                         "CAP_SYS_MODULE",
                         "CAP_SYS_RAWIO",
                         "CAP_SYS_CHROOT",
                         "CAP_SYS_PTRACE",
                         "CAP_SYS_PACCT",
                         "CAP_SYS_ADMIN",
                         "CAP_SYS_BOOT",
                         "CAP_SYS_NICE",
                         "CAP_SYS_RESOURCE",
                         "CAP_SYS_TIME",
                         "CAP_SYS_TTY_CONFIG",
                         "CAP_MKNOD",
                         "CAP_LEASE",
                         "CAP_AUDIT_WRITE",
                         "CAP_AUDIT_CONTROL",
                         "CAP_SETFCAP",
                         "CAP_MAC_OVERRIDE",
                         "CAP_MAC_ADMIN",
                         "CAP_SYSLOG",
                         "CAP_WAKE_ALARM",
                         "CAP_BLOCK_SUSPEND",
                         "CAP_AUDIT_READ",
                         "CAP_PERFMON",
                         "CAP_BPF",
                         "CAP_CHECKPOINT_RESTORE"};
  ASSERT_EQ(std::size(names), 41u);
  for (int i = 0; i < 41; ++i) {
    auto number = capability_number(names[i]);
    ASSERT_TRUE(number.ok()) << names[i];
    EXPECT_EQ(*number, i) << names[i];
  }
  EXPECT_EQ(capability_names(), std::vector<std::string>(std::begin(names), std::end(names)));
  EXPECT_EQ(capability_number("CAP_FOO").error().render(), "unknown capability \"CAP_FOO\"");
  EXPECT_FALSE(capability_number("cap_chown").ok());
  EXPECT_FALSE(capability_number("CHOWN").ok());
}

TEST(PlanRlimits, Names) {
  const std::pair<const char*, int> cases[] = {
      {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
  for (const auto& [name, resource] : cases) {
    auto number = rlimit_number(name);
    ASSERT_TRUE(number.ok()) << name;
    EXPECT_EQ(*number, resource) << name;
  }
  EXPECT_EQ(rlimit_number("RLIMIT_FOO").error().render(), "unknown rlimit \"RLIMIT_FOO\"");
}

spec::Config process_config() {
  spec::Config config;
  config.has_process = true;
  config.process.args = {"sh"};
  return config;
}

std::string process_error(const spec::Config& config) {
  Launch launch;
  auto status = plan_process(config, &launch);
  return status.ok() ? "ok" : status.error().render();
}

TEST(PlanProcess, CapabilityErrorsNameThePointer) {
  auto config = process_config();
  config.process.capabilities = spec::Capabilities{};
  config.process.capabilities->effective = {"CAP_CHOWN", "CAP_KILL", "CAP_FOO"};
  EXPECT_EQ(process_error(config),
            "/process/capabilities/effective/2: unknown capability \"CAP_FOO\"");
}

TEST(PlanProcess, CapabilityMasks) {
  auto config = process_config();
  config.process.capabilities = spec::Capabilities{};
  config.process.capabilities->bounding = {"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"};
  config.process.capabilities->ambient = {"CAP_SYS_ADMIN"};
  Launch launch;
  ASSERT_TRUE(plan_process(config, &launch).ok());
  ASSERT_TRUE(launch.caps.has_value());
  EXPECT_EQ(launch.caps->bounding, (uint64_t{1} << 40) | 1u);
  EXPECT_EQ(launch.caps->ambient, uint64_t{1} << 21);
  EXPECT_EQ(launch.caps->effective, 0u);

  // No section: no capabilities at all (runc), never the runtime's own.
  Launch without;
  ASSERT_TRUE(plan_process(process_config(), &without).ok());
  ASSERT_TRUE(without.caps.has_value());
  EXPECT_EQ(without.caps->bounding | without.caps->effective | without.caps->permitted |
                without.caps->inheritable | without.caps->ambient,
            0u);
}

TEST(PlanProcess, RlimitErrors) {
  auto config = process_config();
  config.process.rlimits = {{"RLIMIT_NOFILE", 1024, 1024}, {"RLIMIT_BAR", 1, 1}};
  EXPECT_EQ(process_error(config), "/process/rlimits/1/type: unknown rlimit \"RLIMIT_BAR\"");
  config.process.rlimits = {{"RLIMIT_NOFILE", 10, 20}};
  EXPECT_EQ(process_error(config), "/process/rlimits/0: soft limit 20 exceeds hard limit 10");
}

TEST(PlanProcess, Personality) {
  auto config = process_config();
  config.linux.personality = spec::Personality{"LINUX32", {}};
  Launch launch;
  ASSERT_TRUE(plan_process(config, &launch).ok());
  EXPECT_EQ(launch.personality, static_cast<unsigned long>(PER_LINUX32));
  config.linux.personality = spec::Personality{"LINUX", {}};
  ASSERT_TRUE(plan_process(config, &launch).ok());
  EXPECT_EQ(launch.personality, 0u);
  config.linux.personality = spec::Personality{"LINUX", {"ADDR_NO_RANDOMIZE"}};
  EXPECT_EQ(process_error(config), "/linux/personality/flags: unsupported");
  config.linux.personality = spec::Personality{"BSD", {}};
  EXPECT_EQ(process_error(config), "/linux/personality/domain: unknown domain \"BSD\"");
}

TEST(PlanProcess, UnsupportedFieldsAreRefused) {
  auto config = process_config();
  config.process.io_priority = spec::IoPriority{"IOPRIO_CLASS_BE", 4};
  EXPECT_EQ(process_error(config), "/process/ioPriority: not supported yet");
  config = process_config();
  config.process.scheduler = spec::Scheduler{};
  EXPECT_EQ(process_error(config), "/process/scheduler: not supported yet");
  config = process_config();
  config.process.exec_cpu_affinity = spec::ExecCpuAffinity{"0-1", ""};
  EXPECT_EQ(process_error(config), "/process/execCPUAffinity: not supported yet");
}

TEST(PlanProcess, RangeChecks) {
  auto config = process_config();
  config.process.oom_score_adj = 1001;
  EXPECT_EQ(process_error(config), "/process/oomScoreAdj: 1001 is outside [-1000, 1000]");
  config = process_config();
  config.process.user.umask = 01000;
  EXPECT_EQ(process_error(config), "/process/user/umask: 512 is not a permission mask");
}

}  // namespace
}  // namespace arca::plan
