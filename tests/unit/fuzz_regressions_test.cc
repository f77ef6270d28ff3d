// Inputs found by (or while writing) tests/fuzz/config_fuzzer.cc, reduced by hand. Each
// runs the fuzzer's pipeline and checks the property that failed: every error renders to
// one non-empty line.
#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "plan/launch.h"
#include "spec/parse.h"
#include "validate/validate.h"

namespace arca {
namespace {

void expect_one_line(const Error& e) {
  const std::string line = e.render();
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
}

TEST(FuzzRegressions, QuoteEscapesControlCharacters) {
  EXPECT_EQ(quote("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(quote("a\tb\r"), "\"a\\tb\\x0d\"");
  EXPECT_EQ(quote(std::string("a\0b", 3)), "\"a\\x00b\"");
  EXPECT_EQ(quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 stays as it is
}

// A member name with a newline used to be copied into the JSON pointer as it was.
TEST(FuzzRegressions, ParseErrorPointerWithNewlineIsOneLine) {
  auto c = spec::parse_config(R"({"ociVersion":"1","root":{"path":"r"},"annotations":{"a\nb":1}})");
  ASSERT_FALSE(c.ok());
  expect_one_line(c.error());
  EXPECT_EQ(c.error().render(), "/annotations/a\\u000ab: must be a string");
}

// make_launch put raw sysctl keys and clock names into its pointers.
TEST(FuzzRegressions, PlanSysctlKeyWithNewlineIsOneLine) {
  auto c = spec::parse_config(
      R"({"ociVersion":"1","root":{"path":"/r"},"linux":{"sysctl":{"net.\nx":"1"}}})");
  ASSERT_TRUE(c.ok()) << c.error().render();
  auto v = validate::validate_config(*c, "/nonexistent-bundle");
  if (!v.ok()) expect_one_line(v.error());
  auto l = plan::make_launch(*c, "/bundle");
  ASSERT_FALSE(l.ok());
  expect_one_line(l.error());
}

TEST(FuzzRegressions, PlanTimeOffsetClockWithNewlineIsOneLine) {
  auto c = spec::parse_config(
      R"({"ociVersion":"1","root":{"path":"/r"},"linux":{"namespaces":[{"type":"time"}],)"
      R"("timeOffsets":{"mono\ntonic":{"secs":1,"nanosec":0}}}})");
  ASSERT_TRUE(c.ok()) << c.error().render();
  auto v = validate::validate_config(*c, "/nonexistent-bundle");
  if (!v.ok()) expect_one_line(v.error());
  auto l = plan::make_launch(*c, "/bundle");
  ASSERT_FALSE(l.ok());
  expect_one_line(l.error());
}

// Names that make_launch rejects are quoted; quote() used to copy a newline as it was.
TEST(FuzzRegressions, PlanUnknownPropagationWithNewlineIsOneLine) {
  auto c = spec::parse_config(
      R"({"ociVersion":"1","root":{"path":"/r"},"process":{"cwd":"/","args":["a"],)"
      R"("user":{"uid":0,"gid":0}},"linux":{"rootfsPropagation":"bogus\n"}})");
  ASSERT_TRUE(c.ok()) << c.error().render();
  auto l = plan::make_launch(*c, "/bundle");
  ASSERT_FALSE(l.ok());
  expect_one_line(l.error());
  EXPECT_NE(l.error().render().find("\"bogus\\n\""), std::string::npos) << l.error().render();
}

}  // namespace
}  // namespace arca
