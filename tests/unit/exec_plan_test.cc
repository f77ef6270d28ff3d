#include "process/exec_plan.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "process/exec.h"
#include "spec/parse.h"

namespace arca::process {
namespace {

spec::Config container() {
  auto config = spec::parse_config(R"({
    "ociVersion": "1.0.2",
    "process": {
      "args": ["/probe"],
      "env": ["PATH=/bin", "TERM=xterm"],
      "cwd": "/",
      "user": {"uid": 0, "gid": 0, "umask": 18},
      "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                       "permitted": ["CAP_KILL"]},
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
      "noNewPrivileges": true,
      "oomScoreAdj": 100
    },
    "root": {"path": "rootfs"}
  })");
  EXPECT_TRUE(config) << config.error().render();
  return *config;
}

constexpr uint64_t bit(int cap) { return uint64_t{1} << cap; }
constexpr int kKill = 5;
constexpr int kSysAdmin = 21;

TEST(ExecFromFlags, StartsFromTheContainersProcess) {
  ExecFlags flags;
  flags.args = {"sh", "-c", "true"};
  auto p = process_from_flags(container().process, flags);
  ASSERT_TRUE(p) << p.error().render();
  auto launch = make_exec_launch(container(), *p, false);
  ASSERT_TRUE(launch) << launch.error().render();
  EXPECT_EQ(launch->args, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(launch->env, (std::vector<std::string>{"PATH=/bin", "TERM=xterm"}));
  EXPECT_EQ(launch->cwd, "/");
  ASSERT_TRUE(launch->caps);
  EXPECT_EQ(launch->caps->bounding, bit(kKill));
  EXPECT_TRUE(launch->no_new_privileges);
  ASSERT_EQ(launch->rlimits.size(), 1u);
  EXPECT_EQ(launch->rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(launch->umask, 18u);
  EXPECT_EQ(launch->oom_score_adj, 100);
}

TEST(ExecFromFlags, FlagsChangeTheProcess) {
  ExecFlags flags;
  flags.args = {"id"};
  flags.env = {"TERM=dumb", "FOO=1", "FOO=2"};
  flags.cwd = "/tmp";
  flags.user = "1000:1001";
  flags.additional_gids = {5, 7};
  flags.caps = {"sys_admin"};
  auto p = process_from_flags(container().process, flags);
  ASSERT_TRUE(p) << p.error().render();
  auto launch = make_exec_launch(container(), *p, false);
  ASSERT_TRUE(launch) << launch.error().render();
  // Replaced in place, new names appended once with the last value (runc's result).
  EXPECT_EQ(launch->env, (std::vector<std::string>{"PATH=/bin", "TERM=dumb", "FOO=2"}));
  EXPECT_EQ(launch->cwd, "/tmp");
  EXPECT_EQ(launch->uid, 1000u);
  EXPECT_EQ(launch->gid, 1001u);
  EXPECT_EQ(launch->additional_gids, (std::vector<gid_t>{5, 7}));
  ASSERT_TRUE(launch->caps);
  EXPECT_EQ(launch->caps->bounding, bit(kKill) | bit(kSysAdmin));
  EXPECT_EQ(launch->caps->effective, bit(kKill) | bit(kSysAdmin));
  EXPECT_EQ(launch->caps->permitted, bit(kKill) | bit(kSysAdmin));
  EXPECT_EQ(launch->caps->ambient, bit(kSysAdmin));
  EXPECT_EQ(launch->caps->inheritable, 0u);
}

TEST(ExecFromFlags, UserWithoutGidKeepsTheContainersGid) {
  spec::Config c = container();
  c.process.user.gid = 42;
  ExecFlags flags;
  flags.args = {"id"};
  flags.user = "1000";
  auto p = process_from_flags(c.process, flags);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->user.uid, 1000u);
  EXPECT_EQ(p->user.gid, 42u);
}

TEST(ExecFromFlags, NoNewPrivsOnlyTurnsOn) {
  spec::Config c = container();
  c.process.no_new_privileges = false;
  ExecFlags flags;
  flags.args = {"id"};
  EXPECT_FALSE(process_from_flags(c.process, flags)->no_new_privileges);
  flags.no_new_privs = true;
  EXPECT_TRUE(process_from_flags(c.process, flags)->no_new_privileges);
}

TEST(ExecFromFlags, CapOnAContainerWithoutCapabilities) {
  spec::Config c = container();
  c.process.capabilities.reset();
  ExecFlags flags;
  flags.args = {"id"};
  flags.caps = {"CAP_SYS_ADMIN"};
  auto p = process_from_flags(c.process, flags);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->capabilities);
  EXPECT_EQ(p->capabilities->bounding, (std::vector<std::string>{"CAP_SYS_ADMIN"}));
}

TEST(ExecFromFlags, ErrorsNameTheFlag) {
  struct Case {
    ExecFlags flags;
    std::string error;
  };
  auto with = [](auto set) {
    ExecFlags f;
    f.args = {"id"};
    set(f);
    return f;
  };
  Case cases[] = {
      {ExecFlags{}, "no command given (COMMAND or --process)"},
      {with([](ExecFlags& f) { f.user = "root"; }), "--user \"root\": must be uid[:gid] (numbers)"},
      {with([](ExecFlags& f) { f.user = "1000:"; }),
       "--user \"1000:\": must be uid[:gid] (numbers)"},
      {with([](ExecFlags& f) { f.env = {"NOEQUALS"}; }), "--env \"NOEQUALS\": must be NAME=value"},
      {with([](ExecFlags& f) { f.env = {"=x"}; }), "--env \"=x\": must be NAME=value"},
      {with([](ExecFlags& f) { f.cwd = "tmp"; }), "--cwd \"tmp\": must be an absolute path"},
      {with([](ExecFlags& f) { f.caps = {"CAP_NOPE"}; }), "--cap: unknown capability \"CAP_NOPE\""},
  };
  for (const auto& c : cases) {
    auto p = process_from_flags(container().process, c.flags);
    ASSERT_FALSE(p) << c.error;
    EXPECT_EQ(p.error().render(), c.error);
  }
}

TEST(ExecFlagsTest, ChangesProcess) {
  ExecFlags flags;
  EXPECT_FALSE(flags.changes_process());
  flags.tty = true;  // with --process, -t is ignored (the file's terminal decides)
  EXPECT_FALSE(flags.changes_process());
  flags.no_new_privs = true;
  EXPECT_TRUE(flags.changes_process());
  ExecFlags env;
  env.env = {"A=1"};
  EXPECT_TRUE(env.changes_process());
}

TEST(ExecFromJson, TheFileIsTheProcess) {
  auto p = process_from_json(container().process,
                             R"({"args": ["sh"], "cwd": "/tmp", "env": ["A=1"],
                                 "user": {"uid": 5, "gid": 6}})");
  ASSERT_TRUE(p) << p.error().render();
  auto launch = make_exec_launch(container(), *p, true);
  ASSERT_TRUE(launch) << launch.error().render();
  EXPECT_EQ(launch->args, (std::vector<std::string>{"sh"}));
  EXPECT_EQ(launch->env, (std::vector<std::string>{"A=1"}));
  EXPECT_EQ(launch->uid, 5u);
  EXPECT_EQ(launch->gid, 6u);
  EXPECT_EQ(launch->cwd, "/tmp");
  // runc: noNewPrivileges is the file's (absent: false) ...
  EXPECT_FALSE(launch->no_new_privileges);
  // ... while what the file leaves out falls back to the container's.
  ASSERT_TRUE(launch->caps);
  EXPECT_EQ(launch->caps->bounding, bit(kKill));
  ASSERT_EQ(launch->rlimits.size(), 1u);
  EXPECT_EQ(launch->umask, 18u);
  EXPECT_EQ(launch->oom_score_adj, 100);
}

TEST(ExecFromJson, FileValuesWin) {
  auto p = process_from_json(container().process, R"({"args": ["sh"], "cwd": "/",
      "capabilities": {}, "noNewPrivileges": true,
      "rlimits": [{"type": "RLIMIT_NPROC", "hard": 5, "soft": 5}]})");
  ASSERT_TRUE(p) << p.error().render();
  auto launch = make_exec_launch(container(), *p, true);
  ASSERT_TRUE(launch) << launch.error().render();
  ASSERT_TRUE(launch->caps);
  EXPECT_EQ(launch->caps->bounding, 0u);
  EXPECT_TRUE(launch->no_new_privileges);
  ASSERT_EQ(launch->rlimits.size(), 1u);
  EXPECT_EQ(launch->rlimits[0].resource, RLIMIT_NPROC);
}

TEST(ExecFromJson, ErrorsPointIntoTheFile) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"args": "sh"})", "/args: must be an array of strings"},
      {R"({"args": ["sh"], "user": {"uid": -1}})", "/user/uid: must be an unsigned 32-bit integer"},
      {R"([1])", "must be an object"},
      {R"({"args": ["sh"])", "invalid JSON at line 1, column 16"},
      {R"({"args": [], "cwd": "/"})", "/args: must be a non-empty array"},
      {R"({"args": ["sh"], "cwd": "tmp"})", "/cwd: must be an absolute path"},
      {R"({"args": ["sh"], "cwd": "/", "env": ["X"]})", "/env/0: \"X\" is not NAME=value"},
      {R"({"args": ["sh"], "cwd": "/", "capabilities": {"bounding": ["CAP_NOPE"]}})",
       "/capabilities/bounding/0: unknown capability \"CAP_NOPE\""},
  };
  for (const auto& c : cases) {
    auto p = process_from_json(container().process, c.json);
    std::string error;
    if (!p) {
      error = p.error().render();
    } else {
      auto launch = make_exec_launch(container(), *p, true);
      ASSERT_FALSE(launch) << c.json;
      error = launch.error().render();
    }
    EXPECT_EQ(error.rfind(c.error, 0), 0u) << c.json << " -> " << error;
  }
}

TEST(ExecEnv, SetEnv) {
  std::vector<std::string> env{"A=1", "AB=2"};
  set_env(env, "A=3");
  set_env(env, "ABC=4");
  set_env(env, "AB=");
  EXPECT_EQ(env, (std::vector<std::string>{"A=3", "AB=", "ABC=4"}));
}

TEST(ExecCgroup, Cgroup2Candidate) {
  const std::string rec = "/sys/fs/cgroup/unified/user.slice/c1";
  // The init in the recorded cgroup itself.
  EXPECT_EQ(cgroup2_candidate(rec, "/user.slice/c1"), rec);
  // Below it: the init's leaf.
  EXPECT_EQ(cgroup2_candidate(rec, "/user.slice/c1/init.scope"), rec + "/init.scope");
  EXPECT_EQ(cgroup2_candidate(rec, "/user.slice/c1/a/b"), rec + "/a/b");
  // Unknown or unrelated: the recorded one.
  EXPECT_EQ(cgroup2_candidate(rec, ""), rec);
  EXPECT_EQ(cgroup2_candidate(rec, "/"), rec);
  EXPECT_EQ(cgroup2_candidate(rec, "/other"), rec);
  // Component boundaries: "/c1" is not the tail "xc1".
  EXPECT_EQ(cgroup2_candidate("/sys/fs/cgroup/xc1", "/c1/sub"), "/sys/fs/cgroup/xc1");
  // A cgroup namespace root seen as "/": a candidate the caller must confirm.
  EXPECT_EQ(cgroup2_candidate("/sys/fs/cgroup/c1", "/c1/init"), "/sys/fs/cgroup/c1/init");
}

}  // namespace
}  // namespace arca::process
