// compile_seccomp against the runtime-spec shapes: every name compiles, every bad name is
// reported at its JSON pointer, and profiles written for other kernels still compile.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <string>

#include "security/seccomp.h"

namespace arca::security {
namespace {

using nlohmann::json;

Result<std::optional<SeccompProgram>> compile(const std::string& text) {
  return compile_seccomp(json::parse(text), /*no_new_privileges=*/true);
}

SeccompProgram compiled(const std::string& text) {
  auto r = compile(text);
  EXPECT_TRUE(r) << r.error().render();
  if (!r || !*r) {
    ADD_FAILURE() << "no program for " << text;
    return {};
  }
  EXPECT_FALSE((*r)->filter.empty());
  return **r;
}

std::string error_of(const std::string& text) {
  auto r = compile(text);
  EXPECT_FALSE(r) << "compiled: " << text;
  return r ? "" : r.error().render();
}

TEST(SeccompCompile, AbsentOrEmptyMeansNoFilter) {
  for (const char* text : {"null", "{}", R"({"architectures":["SCMP_ARCH_X86"]})"}) {
    auto r = compile(text);
    ASSERT_TRUE(r) << r.error().render();
    EXPECT_FALSE(r->has_value()) << text;
  }
}

TEST(SeccompCompile, EveryActionCompilesAsDefaultAndAsRule) {
  for (const std::string& action : seccomp_action_names()) {
    if (action != "SCMP_ACT_NOTIFY") compiled(R"({"defaultAction":")" + action + R"("})");
    const std::string rule = R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/l",
        "syscalls":[{"names":["getpid"],"action":")" +
                             action + R"(","errnoRet":5}]})";
    SeccompProgram p = compiled(rule);
    EXPECT_EQ(p.notify, action == "SCMP_ACT_NOTIFY") << action;
  }
}

TEST(SeccompCompile, EveryOperatorCompiles) {
  for (const std::string& op : seccomp_operator_names()) {
    compiled(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],
        "action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"valueTwo":8,"op":")" +
             op + R"("}]}]})");
  }
}

TEST(SeccompCompile, EveryLittleEndianArchAndEveryFlagCompiles) {
  // libseccomp cannot mix byte orders in one filter; these share the x86 hosts' order.
  json archs = {"SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
                "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPSEL",
                "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC64LE",
                "SCMP_ARCH_RISCV64"};
  json flags = json::array();
  for (const std::string& f : seccomp_flag_names()) flags.push_back(f);
  json config = {{"defaultAction", "SCMP_ACT_ERRNO"},
                 {"architectures", archs},
                 {"flags", flags},
                 {"syscalls", {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  SeccompProgram p = compiled(config.dump());
  // No listener: WAIT_KILLABLE_RECV would make seccomp(2) fail, so it is dropped.
  EXPECT_EQ(p.flags,
            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
}

TEST(SeccompCompile, NotifyKeepsListenerFieldsAndFixesFlags) {
  SeccompProgram p = compiled(R"({"defaultAction":"SCMP_ACT_ALLOW",
      "flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
      "listenerPath":"/run/agent.sock","listenerMetadata":"meta",
      "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]})");
  EXPECT_TRUE(p.notify);
  EXPECT_EQ(p.listener_path, "/run/agent.sock");
  EXPECT_EQ(p.listener_metadata, "meta");
  EXPECT_EQ(p.flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                         SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
}

TEST(SeccompCompile, UnknownNamesAreErrorsAtTheirPointer) {
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_FOO"})"),
            R"(/linux/seccomp/defaultAction: unknown action "SCMP_ACT_FOO")");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["read"],"action":"SCMP_ACT_LOG"},
      {"names":["read"],"action":"SCMP_ACT_KILL"},{"names":["read"],"action":"SCMP_ACT_FOO"}]})"),
            R"(/linux/seccomp/syscalls/3/action: unknown action "SCMP_ACT_FOO")");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],
      "action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},
      {"index":1,"value":1,"op":"SCMP_CMP_SIMILAR"}]}]})"),
            R"(/linux/seccomp/syscalls/0/args/1/op: unknown operator "SCMP_CMP_SIMILAR")");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW",
      "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_VAX"]})"),
            R"(/linux/seccomp/architectures/1: unknown architecture "SCMP_ARCH_VAX")");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_S390X"]})"),
            R"(/linux/seccomp/architectures/0: "SCMP_ARCH_S390X" has a different byte order )"
            "than the native architecture");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_X"]})"),
            R"(/linux/seccomp/flags/0: unknown flag "SECCOMP_FILTER_FLAG_X")");
}

TEST(SeccompCompile, BadShapesAreErrorsAtTheirPointer) {
  EXPECT_EQ(error_of(R"([])"), "/linux/seccomp: must be an object");
  EXPECT_EQ(error_of(R"({"syscalls":[]})"), "/linux/seccomp/defaultAction: is required");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],
      "action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})"),
            "/linux/seccomp/syscalls/0/args/0/index: must be below 6");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000})"),
            "/linux/seccomp/defaultErrnoRet: must be at most 65535");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_ALLOW",
      "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]})"),
            "/linux/seccomp/listenerPath: is required when SCMP_ACT_NOTIFY is used");
  EXPECT_EQ(error_of(R"({"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/l"})"),
            "/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

TEST(SeccompCompile, UnknownSyscallNamesAreSkipped) {
  SeccompProgram with = compiled(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["no_such_syscall","getpid"],"action":"SCMP_ACT_ERRNO"}]})");
  SeccompProgram without = compiled(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(with.filter.size(), without.filter.size());
}

TEST(SeccompCompile, EmptySyscallListAndRulesEqualToTheDefault) {
  SeccompProgram empty = compiled(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]})");
  // libseccomp refuses a rule with the default action; it is skipped, not an error.
  SeccompProgram same = compiled(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ERRNO"}]})");
  EXPECT_EQ(empty.filter.size(), same.filter.size());
  // A different errno is a different action and does get a rule.
  SeccompProgram other = compiled(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]})");
  EXPECT_GT(other.filter.size(), empty.filter.size());
}

TEST(SeccompCompile, RepeatedArgumentIndexBecomesSeparateRules) {
  // Two values for arg0 must be ORed (runc); one rule would AND them and never match.
  compiled(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],
      "action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},
      {"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["clone"],"action":"SCMP_ACT_ALLOW",
      "args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"},
      {"index":1,"value":0,"op":"SCMP_CMP_EQ"}]}]})");
}

TEST(SeccompCompile, FeatureListsAreComplete) {
  EXPECT_EQ(seccomp_action_names().size(), 9u);
  EXPECT_EQ(seccomp_operator_names().size(), 7u);
  EXPECT_GE(seccomp_arch_names().size(), 19u);
  EXPECT_EQ(seccomp_flag_names().size(), 4u);
}

}  // namespace
}  // namespace arca::security
