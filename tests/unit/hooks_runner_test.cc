// The hook runner against real /bin/sh scripts in a temp dir (fork + exec, no root).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "hooks/runner.h"

namespace arca::hooks {
namespace {

class HookRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arca-hooks-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  // A /bin/sh script named `name` with `body`; returns its path.
  std::string script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return path;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string dir_;
};

TEST_F(HookRunner, PassesStdinArgsAndEnv) {
  // The shell itself as the hook: a script's argv[0] is replaced by the kernel.
  std::string body =
      "cat > \"$D/stdin\"; tr '\\0' '|' < /proc/$$/cmdline > \"$D/argv\"; "
      "echo \"$D $X\" > \"$D/env\"";
  spec::Hook hook{"/bin/sh", {"name0", "-c", body, "two words"}, {"D=" + dir_, "X=y"}, {}};
  auto ran = run_hook(hook, "{\"id\":\"c1\"}");
  ASSERT_TRUE(ran.ok()) << ran.error().render();
  EXPECT_EQ(read("stdin"), "{\"id\":\"c1\"}");
  EXPECT_EQ(read("argv"), "name0|-c|" + body + "|two words|");
  EXPECT_EQ(read("env"), dir_ + " y\n");
}

TEST_F(HookRunner, WithoutArgsArgvIsThePath) {
  std::string path = script("h", "echo \"$0|$#\" > \"$D/argv\"");
  ASSERT_TRUE(run_hook({path, {}, {"D=" + dir_}, {}}, "").ok());
  EXPECT_EQ(read("argv"), path + "|0\n");
}

TEST_F(HookRunner, WithoutEnvGetsTheFallbackOrArcasOwn) {
  std::string path =
      script("h", "echo \"${FROM_FALLBACK-unset} ${FROM_ARCA-unset}\" > " + dir_ + "/env");
  setenv("FROM_ARCA", "arca", 1);
  std::vector<std::string> fallback{"FROM_FALLBACK=container"};
  ASSERT_TRUE(run_hook({path, {}, {}, {}}, "", &fallback).ok());
  EXPECT_EQ(read("env"), "container unset\n");
  ASSERT_TRUE(run_hook({path, {}, {}, {}}, "").ok());
  EXPECT_EQ(read("env"), "unset arca\n");
  unsetenv("FROM_ARCA");
}

TEST_F(HookRunner, ExitStatusWithTheEndOfTheOutput) {
  std::string path = script("h", "echo to-stdout; echo 'to stderr' >&2; exit 3");
  auto ran = run_hook({path, {}, {}, {}}, "");
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().render(), "exit status 3, output: \"to-stdout\\nto stderr\"");
}

TEST_F(HookRunner, SilentFailureIsJustTheStatus) {
  auto ran = run_hook({script("h", "exit 1"), {}, {}, {}}, "");
  EXPECT_EQ(ran.error().render(), "exit status 1");
}

TEST_F(HookRunner, KilledBySignal) {
  auto ran = run_hook({script("h", "kill -9 $$"), {}, {}, {}}, "");
  EXPECT_EQ(ran.error().render(), "killed by signal 9");
}

TEST_F(HookRunner, ExecFailureNamesErrno) {
  auto ran = run_hook({dir_ + "/missing", {}, {}, {}}, "");
  EXPECT_EQ(ran.error().render(), "exec: No such file or directory");
  std::string not_exec = dir_ + "/plain";
  std::ofstream(not_exec) << "data";
  EXPECT_EQ(run_hook({not_exec, {}, {}, {}}, "").error().render(), "exec: Permission denied");
}

TEST_F(HookRunner, TimeoutKillsTheHook) {
  std::string path = script("h", "echo $$ > \"$D/pid\"; exec sleep 60");
  auto ran = run_hook({path, {}, {"D=" + dir_}, 1}, "");
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().render(), "timed out after 1s");
  pid_t pid = atoi(read("pid").c_str());
  ASSERT_GT(pid, 0);
  EXPECT_NE(kill(pid, 0), 0) << "the hook still runs";  // killed and reaped
}

TEST_F(HookRunner, HookThatIgnoresStdinDoesNotBlockOrKillUs) {
  std::string big(4 << 20, 'x');  // far more than a pipe holds
  EXPECT_TRUE(run_hook({script("h", "exit 0"), {}, {}, {}}, big).ok());
  EXPECT_EQ(run_hook({script("g", "exit 2"), {}, {}, {}}, big).error().render(), "exit status 2");
}

TEST_F(HookRunner, BackgroundChildHoldingTheOutputDoesNotBlock) {
  // The sleep keeps the hook's stdout open; the runner must return when the hook exits.
  std::string path = script("h", "sleep 60 & echo $! > \"$D/bg\"; echo started");
  auto ran = run_hook({path, {}, {"D=" + dir_}, {}}, "");
  pid_t bg = atoi(read("bg").c_str());
  if (bg > 0) kill(bg, SIGKILL);
  EXPECT_TRUE(ran.ok());
}

TEST_F(HookRunner, NoArcaFdReachesTheHook) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);  // deliberately not close-on-exec
  std::string path =
      script("h", "for f in /proc/$$/fd/*; do echo \"${f##*/} $(readlink $f)\"; done > \"$D/fds\"");
  ASSERT_TRUE(run_hook({path, {}, {"D=" + dir_}, {}}, "").ok());
  close(sv[0]);
  close(sv[1]);
  std::string fds = read("fds");
  EXPECT_EQ(fds.find("socket:"), std::string::npos) << fds;
  std::istringstream lines(fds);
  for (std::string line; std::getline(lines, line);) {
    int fd = atoi(line.c_str());
    // 0-2, plus what the shell opened itself (the redirect target, saved copies of its
    // stdio, the command substitution's pipe).
    if (fd > 2) {
      EXPECT_TRUE(line.find(dir_) != std::string::npos || line.find(" pipe:") != std::string::npos)
          << line;
    }
  }
}

TEST_F(HookRunner, PhaseStopsAtTheFirstFailureAndNamesIt) {
  std::string ok = script("ok", "echo ran >> \"$D/log\"");
  std::string bad = script("bad", "exit 1");
  spec::Hooks hooks;
  hooks.create_runtime = {
      {ok, {}, {"D=" + dir_}, {}}, {bad, {}, {}, {}}, {ok, {}, {"D=" + dir_}, {}}};
  state::Record record;
  record.id = "c1";
  auto ran = run_phase(hooks, Phase::create_runtime, record);
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().render(), "createRuntime hook 1 \"" + bad + "\": exit status 1");
  EXPECT_EQ(read("log"), "ran\n");
}

TEST_F(HookRunner, PhaseWithWarningsRunsEveryHook) {
  std::string ok = script("ok", "cat >> \"$D/log\"");
  std::string bad = script("bad", "exit 1");
  spec::Hooks hooks;
  hooks.poststop = {{bad, {}, {}, {}}, {ok, {}, {"D=" + dir_}, {}}};
  state::Record record;
  record.id = "c9";
  record.pid = 77;
  run_phase_warning(hooks, Phase::poststop, record);
  std::string log = read("log");
  EXPECT_NE(log.find("\"status\":\"stopped\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"id\":\"c9\""), std::string::npos) << log;
  EXPECT_EQ(log.find("\"pid\""), std::string::npos) << log;
}

}  // namespace
}  // namespace arca::hooks
