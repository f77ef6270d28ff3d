#include "validate/validate.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace arca::validate {
namespace {

using spec::Config;

// A bundle with a "rootfs" directory and a "file" that is not one.
class TempBundle {
 public:
  TempBundle() {
    char tmpl[] = "/tmp/arca-validate-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    mkdir((dir_ + "/rootfs").c_str(), 0755);
    std::ofstream(dir_ + "/file") << "x";
  }
  ~TempBundle() {
    unlink((dir_ + "/file").c_str());
    rmdir((dir_ + "/rootfs").c_str());
    rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// The smallest config that passes every check.
Config valid_config() {
  Config c;
  c.oci_version = "1.2.0";
  c.root.path = "rootfs";
  c.has_process = true;
  c.process.args = {"sh"};
  c.process.cwd = "/";
  c.has_linux = true;
  c.linux.namespaces = {{"mount", ""}, {"uts", ""}, {"pid", ""}};
  return c;
}

// Field-by-field builders: -Wmissing-field-initializers rejects partial aggregates.
spec::Device device(const char* type, const char* path, int64_t major = 0, int64_t minor = 0) {
  spec::Device d;
  d.type = type;
  d.path = path;
  d.major = major;
  d.minor = minor;
  return d;
}

spec::Scheduler scheduler(const char* policy, int32_t nice = 0,
                          std::vector<std::string> flags = {}) {
  spec::Scheduler s;
  s.policy = policy;
  s.nice = nice;
  s.flags = std::move(flags);
  return s;
}

spec::Personality personality(const char* domain) {
  spec::Personality p;
  p.domain = domain;
  return p;
}

std::string validation_error(const Config& c, const std::string& bundle) {
  Status s = validate_config(c, bundle);
  return s ? "<valid>" : s.error().render();
}

TEST(Validate, ValidConfigPasses) {
  TempBundle bundle;
  EXPECT_EQ(validation_error(valid_config(), bundle.dir()), "<valid>");
}

TEST(Validate, ChecksHaveUniqueNames) {
  std::set<std::string> names;
  for (const Check& check : checks()) EXPECT_TRUE(names.insert(check.name).second) << check.name;
  EXPECT_GE(checks().size(), 15u);
}

struct Case {
  const char* name;
  std::function<void(Config&)> mutate;
  const char* want;  // "<valid>" for accepted edge cases
};

class ValidateCase : public testing::TestWithParam<Case> {};

TEST_P(ValidateCase, ReportsExactMessage) {
  TempBundle bundle;
  Config c = valid_config();
  GetParam().mutate(c);
  EXPECT_EQ(validation_error(c, bundle.dir()), GetParam().want);
}

std::string case_name(const testing::TestParamInfo<Case>& info) { return info.param.name; }

const Case kGeneral[] = {
    {"VersionMissing", [](Config& c) { c.oci_version.clear(); }, "/ociVersion: is required"},
    {"VersionMajor2", [](Config& c) { c.oci_version = "2.0.0"; },
     "/ociVersion: unsupported major version in \"2.0.0\""},
    {"VersionMajor0", [](Config& c) { c.oci_version = "0.9.0"; },
     "/ociVersion: unsupported major version in \"0.9.0\""},
    {"VersionGarbage", [](Config& c) { c.oci_version = "latest"; },
     "/ociVersion: \"latest\" is not a version"},
    {"VersionNoMinor", [](Config& c) { c.oci_version = "1"; },
     "/ociVersion: \"1\" is not a version"},
    {"VersionDev", [](Config& c) { c.oci_version = "1.0.2-dev"; }, "<valid>"},
    {"Version11", [](Config& c) { c.oci_version = "1.1.0"; }, "<valid>"},
    {"RootMissing", [](Config& c) { c.root.path.clear(); }, "/root/path: is required"},
    {"RootAbsent", [](Config& c) { c.root.path = "nope"; }, "/root/path: \"nope\" does not exist"},
    {"RootNotDirectory", [](Config& c) { c.root.path = "file"; },
     "/root/path: \"file\" is not a directory"},
    {"RootAbsolute", [](Config& c) { c.root.path = "/"; }, "<valid>"},
    {"RootAbsoluteAbsent", [](Config& c) { c.root.path = "/nonexistent/arca/rootfs"; },
     "/root/path: \"/nonexistent/arca/rootfs\" does not exist"},
    {"MountRelative",
     [](Config& c) {
       c.mounts.resize(4);
       for (auto& m : c.mounts) m.destination = "/mnt";
       c.mounts[3].destination = "mnt";
     },
     "/mounts/3/destination: must be an absolute path"},
    {"MountHalfIdmapped",
     [](Config& c) {
       c.mounts.resize(2);
       c.mounts[0].destination = c.mounts[1].destination = "/data";
       c.mounts[1].uid_mappings = {{0, 1000, 1}};
     },
     "/mounts/1: uidMappings and gidMappings must be given together"},
    {"HookRelative",
     [](Config& c) {
       c.hooks.poststart.resize(1);
       c.hooks.poststart[0].path = "hook";
     },
     "/hooks/poststart/0/path: must be an absolute path"},
    {"HookPrestartRelative",
     [](Config& c) {
       c.hooks.prestart = {{"x", {}, {}, {}}};
     },
     "/hooks/prestart/0/path: must be an absolute path"},
    {"HookTimeoutZero",
     [](Config& c) {
       c.hooks.create_runtime = {{"/bin/a", {}, {}, 1}, {"/bin/b", {}, {}, 0}};
     },
     "/hooks/createRuntime/1/timeout: must be greater than 0"},
    {"HookTimeoutNegative",
     [](Config& c) {
       c.hooks.poststop = {{"/bin/a", {}, {}, -3}};
     },
     "/hooks/poststop/0/timeout: must be greater than 0"},
    {"HookCreateContainer",
     [](Config& c) {
       c.hooks.create_container = {{"", {}, {}, {}}};
     },
     "/hooks/createContainer/0/path: must be an absolute path"},
    {"HookStartContainer",
     [](Config& c) {
       c.hooks.start_container = {{"a/b", {}, {}, {}}};
     },
     "/hooks/startContainer/0/path: must be an absolute path"},
};
INSTANTIATE_TEST_SUITE_P(ValidateGeneral, ValidateCase, testing::ValuesIn(kGeneral), case_name);

const Case kProcess[] = {
    {"ProcessMissing", [](Config& c) { c.has_process = false; }, "/process: is required"},
    {"ArgsEmpty", [](Config& c) { c.process.args.clear(); },
     "/process/args: must be a non-empty array"},
    {"CwdEmpty", [](Config& c) { c.process.cwd.clear(); },
     "/process/cwd: must be an absolute path"},
    {"CwdRelative", [](Config& c) { c.process.cwd = "home"; },
     "/process/cwd: must be an absolute path"},
    {"CommandLine", [](Config& c) { c.process.command_line = "cmd"; },
     "/process/commandLine: is Windows only"},
    {"EnvNoEquals",
     [](Config& c) {
       c.process.env = {"A=1", "B"};
     },
     "/process/env/1: \"B\" is not NAME=value"},
    {"EnvNoName", [](Config& c) { c.process.env = {"=x"}; },
     "/process/env/0: \"=x\" is not NAME=value"},
    {"EnvEmptyValue", [](Config& c) { c.process.env = {"A="}; }, "<valid>"},
    {"OomScoreHigh", [](Config& c) { c.process.oom_score_adj = 1001; },
     "/process/oomScoreAdj: must be between -1000 and 1000"},
    {"OomScoreLow", [](Config& c) { c.process.oom_score_adj = -1001; },
     "/process/oomScoreAdj: must be between -1000 and 1000"},
    {"CapBounding",
     [](Config& c) {
       c.process.capabilities.emplace();
       c.process.capabilities->bounding = {"CAP_KILL", "CAP_CHOWN", "CAP_BPF", "CAP_FOO"};
     },
     "/process/capabilities/bounding/3: unknown capability \"CAP_FOO\""},
    {"CapEffective",
     [](Config& c) {
       c.process.capabilities = spec::Capabilities{{}, {"kill"}, {}, {}, {}};
     },
     "/process/capabilities/effective/0: unknown capability \"kill\""},
    {"CapInheritable",
     [](Config& c) {
       c.process.capabilities = spec::Capabilities{{}, {}, {"CAP_X"}, {}, {}};
     },
     "/process/capabilities/inheritable/0: unknown capability \"CAP_X\""},
    {"CapPermitted",
     [](Config& c) {
       c.process.capabilities = spec::Capabilities{{}, {}, {}, {"CAP_"}, {}};
     },
     "/process/capabilities/permitted/0: unknown capability \"CAP_\""},
    {"CapAmbient",
     [](Config& c) {
       c.process.capabilities = spec::Capabilities{{}, {}, {}, {}, {"CAP_CHECKPOINT_RESTORE", ""}};
     },
     "/process/capabilities/ambient/1: unknown capability \"\""},
    {"CapLastKnown",
     [](Config& c) {
       c.process.capabilities =
           spec::Capabilities{{"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"}, {}, {}, {}, {}};
     },
     "<valid>"},
    {"RlimitUnknown",
     [](Config& c) {
       c.process.rlimits = {{"RLIMIT_FOO", 1, 1}};
     },
     "/process/rlimits/0/type: unknown rlimit \"RLIMIT_FOO\""},
    {"RlimitSoftAboveHard",
     [](Config& c) {
       c.process.rlimits = {{"RLIMIT_CORE", 0, 0}, {"RLIMIT_NOFILE", 10, 11}};
     },
     "/process/rlimits/1: soft limit exceeds hard limit"},
    {"RlimitDuplicate",
     [](Config& c) {
       c.process.rlimits = {{"RLIMIT_NOFILE", 1, 1}, {"RLIMIT_NOFILE", 2, 2}};
     },
     "/process/rlimits/1/type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {"RlimitAllKnown",
     [](Config& c) {
       for (const char* name :
            {"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
             "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
             "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
             "RLIMIT_RTTIME"}) {
         c.process.rlimits.push_back({name, UINT64_MAX, 5});
       }
     },
     "<valid>"},
    {"SchedulerPolicy", [](Config& c) { c.process.scheduler = scheduler("SCHED_FAST"); },
     "/process/scheduler/policy: unknown policy \"SCHED_FAST\""},
    {"SchedulerNice", [](Config& c) { c.process.scheduler = scheduler("SCHED_OTHER", 20); },
     "/process/scheduler/nice: must be between -20 and 19"},
    {"SchedulerFlag",
     [](Config& c) {
       c.process.scheduler = scheduler("SCHED_OTHER", 0, {"SCHED_FLAG_RECLAIM", "X"});
     },
     "/process/scheduler/flags/1: unknown flag \"X\""},
    {"IoPriorityClass",
     [](Config& c) {
       c.process.io_priority = spec::IoPriority{"RT", 0};
     },
     "/process/ioPriority/class: unknown class \"RT\""},
    {"IoPriorityLevel",
     [](Config& c) {
       c.process.io_priority = spec::IoPriority{"IOPRIO_CLASS_IDLE", 8};
     },
     "/process/ioPriority/priority: must be between 0 and 7"},
};
INSTANTIATE_TEST_SUITE_P(ValidateProcess, ValidateCase, testing::ValuesIn(kProcess), case_name);

const Case kLinux[] = {
    {"NamespaceUnknown", [](Config& c) { c.linux.namespaces[1].type = "foo"; },
     "/linux/namespaces/1/type: unknown namespace \"foo\""},
    {"NamespaceDuplicate",
     [](Config& c) {
       c.linux.namespaces.push_back({"pid", "/proc/1/ns/pid"});
     },
     "/linux/namespaces/3: duplicate namespace \"pid\""},
    {"NamespaceRelativePath",
     [](Config& c) {
       c.linux.namespaces.push_back({"network", "ns"});
     },
     "/linux/namespaces/3/path: must be an absolute path"},
    {"MountNamespaceMissing",
     [](Config& c) { c.linux.namespaces.erase(c.linux.namespaces.begin()); },
     "/linux/namespaces: a mount namespace is required"},
    {"NoLinuxSection",
     [](Config& c) {
       c.has_linux = false;
       c.linux = {};
     },
     "/linux/namespaces: a mount namespace is required"},
    {"AllNamespaces",
     [](Config& c) {
       for (const char* t : {"network", "ipc", "user", "cgroup", "time"}) {
         c.linux.namespaces.push_back({t, ""});
       }
       c.linux.uid_mappings = c.linux.gid_mappings = {{0, 1000, 1}};
     },
     "<valid>"},
    {"UidMappingsWithoutUserns",
     [](Config& c) {
       c.linux.uid_mappings = {{0, 1000, 1}};
     },
     "/linux/uidMappings: requires a new user namespace"},
    {"GidMappingsWithoutUserns",
     [](Config& c) {
       c.linux.gid_mappings = {{0, 1000, 1}};
     },
     "/linux/gidMappings: requires a new user namespace"},
    {"MappingsWithJoinedUserns",
     [](Config& c) {
       c.linux.namespaces.push_back({"user", "/proc/1/ns/user"});
       c.linux.uid_mappings = c.linux.gid_mappings = {{0, 1000, 1}};
     },
     "/linux/uidMappings: requires a new user namespace"},
    {"UsernsWithoutMappings",
     [](Config& c) {
       c.linux.namespaces.push_back({"user", ""});
     },
     "/linux/uidMappings: a user namespace needs uidMappings and gidMappings"},
    {"UsernsWithoutGidMappings",
     [](Config& c) {
       c.linux.namespaces.push_back({"user", ""});
       c.linux.uid_mappings = {{0, 1000, 1}};
     },
     "/linux/gidMappings: a user namespace needs uidMappings and gidMappings"},
    {"MappingSizeZero",
     [](Config& c) {
       c.linux.namespaces.push_back({"user", ""});
       c.linux.uid_mappings = {{0, 1000, 1}};
       c.linux.gid_mappings = {{0, 1000, 1}, {1, 2000, 0}};
     },
     "/linux/gidMappings/1/size: must be greater than 0"},
    {"TimeOffsetsWithoutTimens",
     [](Config& c) {
       c.linux.time_offsets["boottime"] = {1, 0};
     },
     "/linux/timeOffsets: requires a new time namespace"},
    {"TimeOffsetsJoinedTimens",
     [](Config& c) {
       c.linux.namespaces.push_back({"time", "/proc/1/ns/time"});
       c.linux.time_offsets["monotonic"] = {1, 0};
     },
     "/linux/timeOffsets: requires a new time namespace"},
    {"TimeOffsetUnknownClock",
     [](Config& c) {
       c.linux.namespaces.push_back({"time", ""});
       c.linux.time_offsets["realtime"] = {1, 0};
     },
     "/linux/timeOffsets/realtime: unknown clock \"realtime\""},
    {"TimeOffsetNanosecs",
     [](Config& c) {
       c.linux.namespaces.push_back({"time", ""});
       c.linux.time_offsets["monotonic"] = {-1, 1000000000};
     },
     "/linux/timeOffsets/monotonic/nanosecs: must be less than 1000000000"},
    {"HostnameWithoutUts",
     [](Config& c) {
       c.linux.namespaces.erase(c.linux.namespaces.begin() + 1);
       c.has_hostname = true;
       c.hostname = "box";
     },
     "/hostname: requires a new uts namespace"},
    {"DomainnameWithoutUts",
     [](Config& c) {
       c.linux.namespaces.erase(c.linux.namespaces.begin() + 1);
       c.has_domainname = true;
       c.domainname = "example.org";
     },
     "/domainname: requires a new uts namespace"},
    {"EmptyHostnameWithoutUts",
     [](Config& c) {
       c.linux.namespaces.erase(c.linux.namespaces.begin() + 1);
       c.has_hostname = true;
     },
     "<valid>"},
    {"DeviceType", [](Config& c) { c.linux.devices = {device("x", "/dev/x")}; },
     "/linux/devices/0/type: unknown device type \"x\""},
    {"DevicePath",
     [](Config& c) {
       c.linux.devices = {device("c", "/dev/null", 1, 3), device("b", "dev/sda", 8, 0)};
     },
     "/linux/devices/1/path: must be an absolute path"},
    {"DeviceMajor", [](Config& c) { c.linux.devices = {device("u", "/dev/x", -1)}; },
     "/linux/devices/0/major: must not be negative"},
    {"DeviceFifo", [](Config& c) { c.linux.devices = {device("p", "/dev/fifo")}; }, "<valid>"},
    {"RootfsPropagation", [](Config& c) { c.linux.rootfs_propagation = "recursive"; },
     "/linux/rootfsPropagation: unknown propagation \"recursive\""},
    {"RootfsPropagationRslave", [](Config& c) { c.linux.rootfs_propagation = "rslave"; },
     "<valid>"},
    {"IntelRdt", [](Config& c) { c.linux.intel_rdt = nlohmann::json::object(); },
     "/linux/intelRdt: is not supported"},
    {"PersonalityDomain", [](Config& c) { c.linux.personality = personality("BSD"); },
     "/linux/personality/domain: unknown domain \"BSD\""},
    {"PersonalityLinux32", [](Config& c) { c.linux.personality = personality("LINUX32"); },
     "<valid>"},
    {"SysctlEmptyKey", [](Config& c) { c.linux.sysctl[""] = "1"; },
     "/linux/sysctl: keys must not be empty"},
    {"MaskedPathRelative",
     [](Config& c) {
       c.linux.masked_paths = {"/proc/kcore", "proc/keys"};
     },
     "/linux/maskedPaths/1: must be an absolute path"},
    {"ReadonlyPathRelative", [](Config& c) { c.linux.readonly_paths = {""}; },
     "/linux/readonlyPaths/0: must be an absolute path"},
};
INSTANTIATE_TEST_SUITE_P(ValidateLinux, ValidateCase, testing::ValuesIn(kLinux), case_name);

TEST(Validate, ReportsTheFirstProblem) {
  TempBundle bundle;
  Config c = valid_config();
  c.oci_version.clear();
  c.has_process = false;
  c.linux.intel_rdt = nlohmann::json::object();
  EXPECT_EQ(validation_error(c, bundle.dir()), "/ociVersion: is required");
}

}  // namespace
}  // namespace arca::validate
