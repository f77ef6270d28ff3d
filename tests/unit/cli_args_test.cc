#include "args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace arca::cli::args {
namespace {

// argv from a list of words; the strings live as long as the fixture.
struct Argv {
  std::vector<std::string> words;
  std::vector<char*> ptrs;
  explicit Argv(std::vector<std::string> w) : words(std::move(w)) {
    for (auto& s : words) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(words.size()); }
  char** argv() { return ptrs.data(); }
};

struct Cli {
  Command app{"arca", "test"};
  std::string root = "/run/arca";
  bool debug = false;
  std::string id, bundle;
  bool detach = false, quiet = false;
  int preserve = 0;
  std::vector<std::string> env, rest;
  std::string ran;
  Cli() {
    app.set_version("arca version test");
    app.add_option("--root", root, "state");
    app.add_flag("--debug", debug, "debug");
    auto* run = app.add_subcommand("run", "run");
    run->add_option("id", id, "id")->required();
    run->add_option("-b,--bundle", bundle, "bundle");
    run->add_flag("-d,--detach", detach, "detach");
    run->add_flag("-q", quiet, "quiet");
    run->add_option("--preserve-fds", preserve, "fds");
    run->add_option("-e,--env", env, "env");
    run->callback([this] { ran = "run"; });
    auto* ex = app.add_subcommand("exec", "exec");
    ex->alias("x");
    ex->add_option("id", id, "id")->required();
    ex->add_option("command", rest, "command");
    ex->operands_end_flags();
    ex->callback([this] { ran = "exec"; });
  }
  Result<Parsed> parse(std::vector<std::string> words) {
    words.insert(words.begin(), "arca");
    Argv a(std::move(words));
    return args::parse(app, a.argc(), a.argv());
  }
};

TEST(CliArgs, GlobalFlagsVerbFlagsAndOperand) {
  Cli c;
  auto r = c.parse({"--root", "/tmp/s", "run", "--bundle=/b", "-d", "c1", "--debug"});
  ASSERT_TRUE(r) << r.error().render();
  EXPECT_EQ(c.ran, "run");
  EXPECT_EQ(c.root, "/tmp/s");
  EXPECT_EQ(c.bundle, "/b");
  EXPECT_TRUE(c.detach);
  EXPECT_TRUE(c.debug);  // a global flag after the verb, as runc accepts
  EXPECT_EQ(c.id, "c1");
}

TEST(CliArgs, ShortFormsBundledAndAttached) {
  Cli c;
  ASSERT_TRUE(c.parse({"run", "-dq", "-b/x", "-e", "A=1", "-eB=2", "c1"}));
  EXPECT_TRUE(c.detach);
  EXPECT_TRUE(c.quiet);
  EXPECT_EQ(c.bundle, "/x");
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=1", "B=2"}));
}

TEST(CliArgs, GoStyleSingleDashLongNamesAndBooleanValues) {
  Cli c;
  ASSERT_TRUE(c.parse({"-root", "/r", "run", "-bundle", "/b", "--detach=false", "c1"}));
  EXPECT_EQ(c.root, "/r");
  EXPECT_EQ(c.bundle, "/b");
  EXPECT_FALSE(c.detach);
}

TEST(CliArgs, OperandsEndFlagsAndDoubleDash) {
  Cli c;
  ASSERT_TRUE(c.parse({"x", "c1", "sh", "-c", "echo --root"}));
  EXPECT_EQ(c.ran, "exec");
  EXPECT_EQ(c.rest, (std::vector<std::string>{"sh", "-c", "echo --root"}));
  EXPECT_EQ(c.root, "/run/arca");
  Cli d;
  ASSERT_TRUE(d.parse({"run", "--", "-weird-id"}));
  EXPECT_EQ(d.id, "-weird-id");
}

TEST(CliArgs, ErrorsNameTheVerbAndTheFlag) {
  Cli c;
  auto unknown = c.parse({"run", "--bundel", "/b", "c1"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().render(),
            "run: unknown flag \"--bundel\" (see `arca run --help`)");
  EXPECT_EQ(c.ran, "");
  EXPECT_EQ(Cli().parse({"run"}).error().render(), "run: missing ID");
  EXPECT_EQ(Cli().parse({"run", "c1", "c2"}).error().render(),
            "run: unexpected argument \"c2\" (see `arca run --help`)");
  EXPECT_EQ(Cli().parse({"run", "c1", "-b"}).error().render(), "run: flag --bundle needs a value");
  EXPECT_EQ(Cli().parse({"run", "c1", "--preserve-fds", "x"}).error().render(),
            "run: flag --preserve-fds: not an integer: \"x\"");
  EXPECT_EQ(Cli().parse({"frobnicate"}).error().render(),
            "unknown command \"frobnicate\" (see `arca --help`)");
  EXPECT_EQ(Cli().parse({}).error().render(), "no command given (see `arca --help`)");
}

TEST(CliArgs, HelpAndVersionPrintInsteadOfRunning) {
  Cli c;
  testing::internal::CaptureStdout();
  auto r = c.parse({"run", "--help"});
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Parsed::kPrinted);
  EXPECT_EQ(c.ran, "");
  EXPECT_NE(out.find("Usage: arca run [OPTIONS] ID"), std::string::npos) << out;
  EXPECT_NE(out.find("-b, --bundle VALUE"), std::string::npos) << out;
  testing::internal::CaptureStdout();
  ASSERT_TRUE(Cli().parse({"--version"}));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "arca version test\n");
}

}  // namespace
}  // namespace arca::cli::args
