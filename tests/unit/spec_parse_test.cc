#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "spec/json_reader.h"
#include "spec/parse.h"

namespace arca::spec {
namespace {

std::string parse_error(const std::string& text) {
  auto config = parse_config(text);
  if (config) return "<parsed>";
  return config.error().render();
}

// One wrong value per case; the expected line is exactly what the user sees.
struct ErrorCase {
  const char* name;
  const char* json;
  const char* want;
};

class SpecParseError : public testing::TestWithParam<ErrorCase> {};

TEST_P(SpecParseError, NamesPointerAndReason) {
  EXPECT_EQ(parse_error(GetParam().json), GetParam().want) << GetParam().json;
}

const ErrorCase kTopLevel[] = {
    {"DocumentArray", R"([])", "must be an object"},
    {"DocumentNull", R"(null)", "must be an object"},
    {"OciVersion", R"({"ociVersion": 1})", "/ociVersion: must be a string"},
    {"Root", R"({"root": "rootfs"})", "/root: must be an object"},
    {"RootPath", R"({"root": {"path": 1}})", "/root/path: must be a string"},
    {"RootReadonly", R"({"root": {"readonly": "yes"}})", "/root/readonly: must be a boolean"},
    {"Hostname", R"({"hostname": 1})", "/hostname: must be a string"},
    {"Domainname", R"({"domainname": []})", "/domainname: must be a string"},
    {"Annotations", R"({"annotations": []})", "/annotations: must be an object"},
    {"AnnotationValue", R"({"annotations": {"a/b~c": 1}})",
     "/annotations/a~1b~0c: must be a string"},
};
INSTANTIATE_TEST_SUITE_P(SpecTopLevel, SpecParseError, testing::ValuesIn(kTopLevel),
                         [](const auto& info) { return std::string(info.param.name); });

const ErrorCase kMounts[] = {
    {"NotArray", R"({"mounts": {}})", "/mounts: must be an array"},
    {"EntryNotObject", R"({"mounts": ["/proc"]})", "/mounts/0: must be an object"},
    {"Destination",
     R"({"mounts": [{"destination": "/a"}, {"destination": "/b"}, {"destination": 1}]})",
     "/mounts/2/destination: must be a string"},
    {"DestinationMissing", R"({"mounts": [{"type": "proc"}]})",
     "/mounts/0/destination: is required"},
    {"Type", R"({"mounts": [{"destination": "/a", "type": false}]})",
     "/mounts/0/type: must be a string"},
    {"Source", R"({"mounts": [{"destination": "/a", "source": {}}]})",
     "/mounts/0/source: must be a string"},
    {"Options", R"({"mounts": [{"destination": "/a", "options": ["ro", 1]}]})",
     "/mounts/0/options: must be an array of strings"},
    {"OptionsString", R"({"mounts": [{"destination": "/a", "options": "ro"}]})",
     "/mounts/0/options: must be an array of strings"},
    {"UidMappingSize",
     R"({"mounts": [{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 0}]}]})",
     "/mounts/0/uidMappings/0/size: is required"},
    {"GidMappings", R"({"mounts": [{"destination": "/a", "gidMappings": {}}]})",
     "/mounts/0/gidMappings: must be an array"},
};
INSTANTIATE_TEST_SUITE_P(SpecMounts, SpecParseError, testing::ValuesIn(kMounts),
                         [](const auto& info) { return std::string(info.param.name); });

const ErrorCase kProcess[] = {
    {"NotObject", R"({"process": []})", "/process: must be an object"},
    {"Terminal", R"({"process": {"terminal": 1}})", "/process/terminal: must be a boolean"},
    {"ConsoleSize", R"({"process": {"consoleSize": {"height": 1}}})",
     "/process/consoleSize/width: is required"},
    {"ConsoleHeight", R"({"process": {"consoleSize": {"height": -1, "width": 1}}})",
     "/process/consoleSize/height: must be an unsigned 32-bit integer"},
    {"User", R"({"process": {"user": 0}})", "/process/user: must be an object"},
    {"UidNegative", R"({"process": {"user": {"uid": -1}}})",
     "/process/user/uid: must be an unsigned 32-bit integer"},
    {"UidTooBig", R"({"process": {"user": {"uid": 4294967296}}})",
     "/process/user/uid: must be an unsigned 32-bit integer"},
    {"UidFloat", R"({"process": {"user": {"uid": 1.5}}})",
     "/process/user/uid: must be an unsigned 32-bit integer"},
    {"UidString", R"({"process": {"user": {"uid": "0"}}})",
     "/process/user/uid: must be an unsigned 32-bit integer"},
    {"Gid", R"({"process": {"user": {"gid": true}}})",
     "/process/user/gid: must be an unsigned 32-bit integer"},
    {"Umask", R"({"process": {"user": {"umask": "022"}}})",
     "/process/user/umask: must be an unsigned 32-bit integer"},
    {"AdditionalGids", R"({"process": {"user": {"additionalGids": 5}}})",
     "/process/user/additionalGids: must be an array"},
    {"AdditionalGid", R"({"process": {"user": {"additionalGids": [1, "a"]}}})",
     "/process/user/additionalGids/1: must be an unsigned 32-bit integer"},
    {"Username", R"({"process": {"user": {"username": 5}}})",
     "/process/user/username: must be a string"},
    {"ArgsString", R"({"process": {"args": "sh"}})", "/process/args: must be an array of strings"},
    {"ArgsMixed", R"({"process": {"args": ["sh", 1]}})",
     "/process/args: must be an array of strings"},
    {"CommandLine", R"({"process": {"commandLine": ["sh"]}})",
     "/process/commandLine: must be a string"},
    {"Env", R"({"process": {"env": {"A": "b"}}})", "/process/env: must be an array of strings"},
    {"Cwd", R"({"process": {"cwd": 1}})", "/process/cwd: must be a string"},
    {"Capabilities", R"({"process": {"capabilities": ["CAP_KILL"]}})",
     "/process/capabilities: must be an object"},
    {"CapBounding", R"({"process": {"capabilities": {"bounding": [1]}}})",
     "/process/capabilities/bounding: must be an array of strings"},
    {"CapEffective", R"({"process": {"capabilities": {"effective": "CAP_KILL"}}})",
     "/process/capabilities/effective: must be an array of strings"},
    {"CapInheritable", R"({"process": {"capabilities": {"inheritable": {}}}})",
     "/process/capabilities/inheritable: must be an array of strings"},
    {"CapPermitted", R"({"process": {"capabilities": {"permitted": 1}}})",
     "/process/capabilities/permitted: must be an array of strings"},
    {"CapAmbient", R"({"process": {"capabilities": {"ambient": [null]}}})",
     "/process/capabilities/ambient: must be an array of strings"},
    {"Rlimits", R"({"process": {"rlimits": {}}})", "/process/rlimits: must be an array"},
    {"RlimitType", R"({"process": {"rlimits": [{"hard": 1, "soft": 1}]}})",
     "/process/rlimits/0/type: is required"},
    {"RlimitSoft", R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1}]}})",
     "/process/rlimits/0/soft: is required"},
    {"RlimitHard", R"({"process": {"rlimits": [{"type": "RLIMIT_CORE", "hard": -1, "soft": 0}]}})",
     "/process/rlimits/0/hard: must be an unsigned 64-bit integer"},
    {"NoNewPrivileges", R"({"process": {"noNewPrivileges": "true"}})",
     "/process/noNewPrivileges: must be a boolean"},
    {"Apparmor", R"({"process": {"apparmorProfile": 1}})",
     "/process/apparmorProfile: must be a string"},
    {"OomScoreAdj", R"({"process": {"oomScoreAdj": 3000000000}})",
     "/process/oomScoreAdj: must be a 32-bit integer"},
    {"SelinuxLabel", R"({"process": {"selinuxLabel": []}})",
     "/process/selinuxLabel: must be a string"},
    {"IoPriorityClass", R"({"process": {"ioPriority": {"priority": 1}}})",
     "/process/ioPriority/class: is required"},
    {"IoPriorityValue",
     R"({"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": "1"}}})",
     "/process/ioPriority/priority: must be a 32-bit integer"},
    {"SchedulerPolicy", R"({"process": {"scheduler": {}}})",
     "/process/scheduler/policy: is required"},
    {"SchedulerRuntime",
     R"({"process": {"scheduler": {"policy": "SCHED_DEADLINE", "runtime": -1}}})",
     "/process/scheduler/runtime: must be an unsigned 64-bit integer"},
    {"SchedulerNice", R"({"process": {"scheduler": {"policy": "SCHED_OTHER", "nice": 1.0}}})",
     "/process/scheduler/nice: must be a 32-bit integer"},
    {"SchedulerFlags", R"({"process": {"scheduler": {"policy": "SCHED_OTHER", "flags": [1]}}})",
     "/process/scheduler/flags: must be an array of strings"},
    {"ExecCpuAffinity", R"({"process": {"execCPUAffinity": {"initial": 1}}})",
     "/process/execCPUAffinity/initial: must be a string"},
};
INSTANTIATE_TEST_SUITE_P(SpecProcess, SpecParseError, testing::ValuesIn(kProcess),
                         [](const auto& info) { return std::string(info.param.name); });

const ErrorCase kHooks[] = {
    {"NotObject", R"({"hooks": []})", "/hooks: must be an object"},
    {"Prestart", R"({"hooks": {"prestart": {}}})", "/hooks/prestart: must be an array"},
    {"PathMissing", R"({"hooks": {"createRuntime": [{"args": []}]}})",
     "/hooks/createRuntime/0/path: is required"},
    {"Args", R"({"hooks": {"createContainer": [{"path": "/x", "args": [1]}]}})",
     "/hooks/createContainer/0/args: must be an array of strings"},
    {"Env", R"({"hooks": {"startContainer": [{"path": "/x", "env": "A=b"}]}})",
     "/hooks/startContainer/0/env: must be an array of strings"},
    {"Timeout", R"({"hooks": {"poststart": [{"path": "/x", "timeout": "5"}]}})",
     "/hooks/poststart/0/timeout: must be a 32-bit integer"},
    {"Poststop", R"({"hooks": {"poststop": [{"path": "/x"}, 1]}})",
     "/hooks/poststop/1: must be an object"},
};
INSTANTIATE_TEST_SUITE_P(SpecHooks, SpecParseError, testing::ValuesIn(kHooks),
                         [](const auto& info) { return std::string(info.param.name); });

const ErrorCase kLinux[] = {
    {"NotObject", R"({"linux": "x"})", "/linux: must be an object"},
    {"Namespaces", R"({"linux": {"namespaces": {"type": "pid"}}})",
     "/linux/namespaces: must be an array"},
    {"NamespaceType", R"({"linux": {"namespaces": [{"type": 1}]}})",
     "/linux/namespaces/0/type: must be a string"},
    {"NamespaceTypeMissing", R"({"linux": {"namespaces": [{"type": "pid"}, {"path": "/x"}]}})",
     "/linux/namespaces/1/type: is required"},
    {"NamespacePath", R"({"linux": {"namespaces": [{"type": "pid", "path": 3}]}})",
     "/linux/namespaces/0/path: must be a string"},
    {"UidMapping", R"({"linux": {"uidMappings": [{"containerID": "0", "hostID": 0, "size": 1}]}})",
     "/linux/uidMappings/0/containerID: must be an unsigned 32-bit integer"},
    {"GidMapping", R"({"linux": {"gidMappings": [{"containerID": 0, "size": 1}]}})",
     "/linux/gidMappings/0/hostID: is required"},
    {"TimeOffsets", R"({"linux": {"timeOffsets": []}})", "/linux/timeOffsets: must be an object"},
    {"TimeOffsetSecs", R"({"linux": {"timeOffsets": {"boottime": {"secs": "1"}}}})",
     "/linux/timeOffsets/boottime/secs: must be a 64-bit integer"},
    {"TimeOffsetNanosecs", R"({"linux": {"timeOffsets": {"monotonic": {"nanosecs": -1}}}})",
     "/linux/timeOffsets/monotonic/nanosecs: must be an unsigned 32-bit integer"},
    {"DevicePath", R"({"linux": {"devices": [{"type": "c"}]}})",
     "/linux/devices/0/path: is required"},
    {"DeviceMajor", R"({"linux": {"devices": [{"type": "c", "path": "/dev/x", "major": "1"}]}})",
     "/linux/devices/0/major: must be a 64-bit integer"},
    {"DeviceFileMode", R"({"linux": {"devices": [{"type": "c", "path": "/x", "fileMode": -1}]}})",
     "/linux/devices/0/fileMode: must be an unsigned 32-bit integer"},
    {"DeviceUid", R"({"linux": {"devices": [{"type": "c", "path": "/x", "uid": "0"}]}})",
     "/linux/devices/0/uid: must be an unsigned 32-bit integer"},
    {"DeviceGid", R"({"linux": {"devices": [{"type": "c", "path": "/x", "gid": 1e3}]}})",
     "/linux/devices/0/gid: must be an unsigned 32-bit integer"},
    {"CgroupsPath", R"({"linux": {"cgroupsPath": 1}})", "/linux/cgroupsPath: must be a string"},
    {"Resources", R"({"linux": {"resources": []}})", "/linux/resources: must be an object"},
    {"Seccomp", R"({"linux": {"seccomp": "unconfined"}})", "/linux/seccomp: must be an object"},
    {"IntelRdt", R"({"linux": {"intelRdt": 1}})", "/linux/intelRdt: must be an object"},
    {"RootfsPropagation", R"({"linux": {"rootfsPropagation": 1}})",
     "/linux/rootfsPropagation: must be a string"},
    {"Sysctl", R"({"linux": {"sysctl": {"net.ipv4.ip_forward": 1}}})",
     "/linux/sysctl/net.ipv4.ip_forward: must be a string"},
    {"MaskedPaths", R"({"linux": {"maskedPaths": "/proc/kcore"}})",
     "/linux/maskedPaths: must be an array of strings"},
    {"ReadonlyPaths", R"({"linux": {"readonlyPaths": [true]}})",
     "/linux/readonlyPaths: must be an array of strings"},
    {"MountLabel", R"({"linux": {"mountLabel": 0}})", "/linux/mountLabel: must be a string"},
    {"PersonalityDomain", R"({"linux": {"personality": {}}})",
     "/linux/personality/domain: is required"},
    {"PersonalityFlags", R"({"linux": {"personality": {"domain": "LINUX", "flags": "x"}}})",
     "/linux/personality/flags: must be an array of strings"},
};
INSTANTIATE_TEST_SUITE_P(SpecLinux, SpecParseError, testing::ValuesIn(kLinux),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SpecParse, InvalidJsonReportsLineAndColumn) {
  EXPECT_EQ(parse_error("{\n  \"a\": 1,\n  }\n"),
            "invalid JSON at line 3, column 3: unexpected '}'; expected string literal");
  EXPECT_EQ(parse_error("{\"process\": tru}"),
            "invalid JSON at line 1, column 16: invalid literal");
  EXPECT_EQ(parse_error(""),
            "invalid JSON at line 1, column 1: unexpected end of input; expected '[', '{', or a "
            "literal");
  EXPECT_EQ(parse_error("{\"a\": 1"),
            "invalid JSON at line 1, column 8: unexpected end of input; expected '}'");
  EXPECT_EQ(parse_error("{} {}"),
            "invalid JSON at line 1, column 4: unexpected '{'; expected end of input");
}

TEST(SpecParse, InvalidJsonMessageIsOneShortLine) {
  std::string text = "{\"a\": \"" + std::string(500, 'x') + "\n";
  std::string message = parse_error(text);
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_EQ(message,
            "invalid JSON at line 1, column 508: invalid string: control character U+000A (LF) "
            "must be escaped to \\u000A or \\n");
}

TEST(SpecParse, TextPosition) {
  EXPECT_EQ(text_position("abc", 2).line, 1u);
  EXPECT_EQ(text_position("abc", 2).column, 2u);
  EXPECT_EQ(text_position("a\nbc", 4).line, 2u);
  EXPECT_EQ(text_position("a\nbc", 4).column, 2u);
  // A newline is the last column of the line it ends.
  EXPECT_EQ(text_position("a\nbc", 2).line, 1u);
  EXPECT_EQ(text_position("a\nbc", 2).column, 2u);
  // End of input reads one past the last character.
  EXPECT_EQ(text_position("ab", 3).column, 3u);
  EXPECT_EQ(text_position("", 1).column, 1u);
  EXPECT_EQ(text_position("a\n", 3).line, 2u);
  EXPECT_EQ(text_position("a\n", 3).column, 1u);
}

TEST(SpecParse, EmptyObjectHasNothing) {
  auto c = parse_config("{}");
  ASSERT_TRUE(c) << c.error().render();
  EXPECT_FALSE(c->has_process);
  EXPECT_FALSE(c->has_linux);
  EXPECT_FALSE(c->has_hostname);
  EXPECT_FALSE(c->has_domainname);
  EXPECT_TRUE(c->oci_version.empty());
  EXPECT_TRUE(c->hooks.empty());
}

TEST(SpecParse, NullMeansAbsent) {
  auto c = parse_config(R"({"ociVersion": null, "process": null, "hostname": null,
      "domainname": null, "linux": null, "mounts": null, "hooks": null, "annotations": null})");
  ASSERT_TRUE(c) << c.error().render();
  EXPECT_FALSE(c->has_process);
  EXPECT_FALSE(c->has_hostname);
  EXPECT_FALSE(c->has_domainname);
  EXPECT_FALSE(c->has_linux);

  c = parse_config(R"({"process": {"user": {"umask": null}, "oomScoreAdj": null,
      "capabilities": null}, "linux": {"seccomp": null, "resources": null}})");
  ASSERT_TRUE(c) << c.error().render();
  EXPECT_TRUE(c->has_process);
  EXPECT_FALSE(c->process.user.umask);
  EXPECT_FALSE(c->process.oom_score_adj);
  EXPECT_FALSE(c->process.capabilities);
  EXPECT_FALSE(c->linux.seccomp);
  EXPECT_FALSE(c->linux.resources);
}

TEST(SpecParse, UnknownPropertiesAreIgnored) {
  auto c = parse_config(R"({"ociVersion": "1.2.0", "vm": {"hypervisor": {}}, "windows": 1,
      "process": {"future": [1, 2], "args": ["sh"]}, "linux": {"netDevices": {"eth0": {}}}})");
  ASSERT_TRUE(c) << c.error().render();
  EXPECT_EQ(c->process.args, std::vector<std::string>{"sh"});
}

TEST(SpecParse, EmptyHostnameIsStillPresent) {
  auto c = parse_config(R"({"hostname": ""})");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->has_hostname);
  EXPECT_EQ(c->hostname, "");
}

TEST(SpecParse, IntegerLimits) {
  auto c = parse_config(R"({"process": {"user": {"uid": 4294967295, "gid": 0},
      "oomScoreAdj": -1000, "rlimits": [{"type": "RLIMIT_CORE",
      "hard": 18446744073709551615, "soft": 0}]},
      "linux": {"timeOffsets": {"boottime": {"secs": -9223372036854775808, "nanosecs": 4294967295}},
      "devices": [{"type": "c", "path": "/dev/x", "major": -1, "minor": 9223372036854775807}]}})");
  ASSERT_TRUE(c) << c.error().render();
  EXPECT_EQ(c->process.user.uid, 4294967295u);
  EXPECT_EQ(*c->process.oom_score_adj, -1000);
  EXPECT_EQ(c->process.rlimits[0].hard, UINT64_MAX);
  EXPECT_EQ(c->linux.time_offsets["boottime"].secs, INT64_MIN);
  EXPECT_EQ(c->linux.time_offsets["boottime"].nanosecs, UINT32_MAX);
  EXPECT_EQ(c->linux.devices[0].major, -1);
  EXPECT_EQ(c->linux.devices[0].minor, INT64_MAX);

  EXPECT_EQ(parse_error(R"({"linux": {"devices": [{"type": "c", "path": "/x",
      "major": 9223372036854775808}]}})"),
            "/linux/devices/0/major: must be a 64-bit integer");
  EXPECT_EQ(parse_error(R"({"process": {"oomScoreAdj": -2147483649}})"),
            "/process/oomScoreAdj: must be a 32-bit integer");
}

// Temporary bundle directory, removed with its config.json.
class TempBundle {
 public:
  TempBundle() {
    char tmpl[] = "/tmp/arca-spec-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~TempBundle() {
    unlink(config_path().c_str());
    rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/config.json"; }
  void write(const std::string& text) const { std::ofstream(config_path()) << text; }

 private:
  std::string dir_;
};

TEST(SpecLoad, ReadsBundleConfig) {
  TempBundle bundle;
  bundle.write(R"({"ociVersion": "1.2.0", "process": {"args": ["true"], "cwd": "/"}})");
  auto c = load_config(bundle.dir());
  ASSERT_TRUE(c) << c.error().render();
  EXPECT_EQ(c->oci_version, "1.2.0");
  EXPECT_EQ(c->process.args, std::vector<std::string>{"true"});
  // A trailing slash on the bundle does not double up.
  EXPECT_TRUE(load_config(bundle.dir() + "/"));
}

TEST(SpecLoad, MissingFileNamesPathAndReason) {
  TempBundle bundle;
  auto c = load_config(bundle.dir());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ENOENT);
  EXPECT_EQ(c.error().render(), "open \"" + bundle.config_path() + "\": No such file or directory");
}

TEST(SpecLoad, ParseErrorsNameTheFile) {
  TempBundle bundle;
  bundle.write(R"({"process": {"args": "sh"}})");
  auto c = load_config(bundle.dir());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().render(), "config.json: /process/args: must be an array of strings");

  bundle.write("{\n\n  ]");
  EXPECT_EQ(load_config(bundle.dir()).error().render(),
            "config.json: invalid JSON at line 3, column 3: unexpected ']'; expected string "
            "literal");
}

}  // namespace
}  // namespace arca::spec
