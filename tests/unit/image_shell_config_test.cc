#include <gtest/gtest.h>

#include <algorithm>

#include "image/shell_config.h"
#include "plan/launch.h"

namespace arca::image {
namespace {

ShellInputs inputs() {
  ShellInputs in;
  in.rootfs = "/var/lib/arca/shells/s1/root";
  in.name = "shell-abc123";
  in.passwd = "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1001::/home/alice:/bin/sh\n";
  in.group = "root:x:0:\nstaff:x:50:\n";
  in.term = "xterm-256color";
  in.host_memory = 8ull << 30;
  in.host_env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "FROM_HOST") return std::string("hostvalue");
    return std::nullopt;
  };
  return in;
}

spec::Config build(const ShellOptions& o, const ShellInputs& in = inputs()) {
  auto c = make_shell_config(o, in);
  EXPECT_TRUE(c) << c.error().render();
  return c ? *c : spec::Config{};
}

std::string error_of(const ShellOptions& o, const ShellInputs& in = inputs()) {
  auto c = make_shell_config(o, in);
  return c ? "" : c.error().render();
}

bool has_namespace(const spec::Config& c, const std::string& type) {
  return std::any_of(c.linux.namespaces.begin(), c.linux.namespaces.end(),
                     [&](const spec::Namespace& n) { return n.type == type; });
}

TEST(ShellConfig, Defaults) {
  spec::Config c = build({});
  EXPECT_EQ(c.process.args, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(c.process.env, (std::vector<std::string>{
                               "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "TERM=xterm-256color", "HOSTNAME=shell-abc123"}));
  EXPECT_EQ(c.hostname, "shell-abc123");
  EXPECT_EQ(c.root.path, "/var/lib/arca/shells/s1/root");
  EXPECT_FALSE(c.root.readonly);
  EXPECT_EQ(c.process.cwd, "/");
  EXPECT_EQ(c.process.user.uid, 0u);
  EXPECT_FALSE(c.process.terminal);
  for (const char* ns : {"pid", "mount", "ipc", "uts", "network"}) {
    EXPECT_TRUE(has_namespace(c, ns)) << ns;
  }
  ASSERT_TRUE(c.linux.resources);
  const auto& r = *c.linux.resources;
  EXPECT_EQ(r["pids"]["limit"], kDefaultPidsLimit);
  EXPECT_EQ(r["memory"]["limit"], 4ull << 30);
  EXPECT_FALSE(r.contains("cpu"));
  EXPECT_EQ(r["devices"][0]["allow"], false);
  ASSERT_TRUE(c.process.capabilities);
  EXPECT_EQ(c.process.capabilities->bounding, default_capabilities());
  EXPECT_TRUE(c.process.capabilities->ambient.empty());
}

TEST(ShellConfig, ThePlanAcceptsIt) {
  ShellOptions o;
  o.net = "host";
  o.read_only = true;
  ShellInputs in = inputs();
  in.volumes.push_back({"/srv/data", "/data", true});
  auto launch = plan::make_launch(build(o, in), "/var/lib/arca/shells/s1");
  ASSERT_TRUE(launch) << launch.error().render();
  EXPECT_TRUE(launch->rootfs_readonly);
  EXPECT_EQ(launch->clone_flags & CLONE_NEWNET, 0);
  auto data = std::find_if(launch->mounts.begin(), launch->mounts.end(),
                           [](const plan::MountStep& m) { return m.destination == "/data"; });
  ASSERT_NE(data, launch->mounts.end());
  EXPECT_TRUE(data->bind);
  EXPECT_EQ(data->source, "/srv/data");
}

TEST(ShellConfig, EnvironmentLayers) {
  ShellOptions o;
  o.env = {"A=1", "FROM_HOST", "NOT_ON_HOST", "PATH=/mine"};
  ShellInputs in = inputs();
  in.image.env = {"PATH=/image/bin", "IMG=yes", "A=image"};
  in.env_files = {{"f", "# c\nB=2\n\nA=file\n"}};
  auto env = build(o, in).process.env;
  EXPECT_EQ(env,
            (std::vector<std::string>{"TERM=xterm-256color", "HOSTNAME=shell-abc123", "IMG=yes",
                                      "B=2", "A=1", "FROM_HOST=hostvalue", "PATH=/mine"}));
}

TEST(ShellConfig, CommandEntrypointCmd) {
  ShellInputs in = inputs();
  in.image.entrypoint = {"/entry", "x"};
  in.image.cmd = {"default"};
  EXPECT_EQ(build({}, in).process.args, (std::vector<std::string>{"/entry", "x", "default"}));
  ShellOptions o;
  o.command = {"given", "arg"};
  EXPECT_EQ(build(o, in).process.args, (std::vector<std::string>{"/entry", "x", "given", "arg"}));
  in.image.entrypoint.clear();
  EXPECT_EQ(build(o, in).process.args, (std::vector<std::string>{"given", "arg"}));
  EXPECT_EQ(build({}, in).process.args, (std::vector<std::string>{"default"}));
}

TEST(ShellConfig, WorkdirUserHostname) {
  ShellOptions o;
  o.workdir = "/tmp";
  o.user = "alice";
  o.hostname = "box";
  spec::Config c = build(o);
  EXPECT_EQ(c.process.cwd, "/tmp");
  EXPECT_EQ(c.process.user.uid, 1000u);
  EXPECT_EQ(c.process.user.gid, 1001u);
  EXPECT_EQ(c.hostname, "box");
  ShellInputs in = inputs();
  in.image.working_dir = "/srv";
  in.image.user = "1000:staff";
  c = build({}, in);
  EXPECT_EQ(c.process.cwd, "/srv");
  EXPECT_EQ(c.process.user.gid, 50u);
}

TEST(ShellConfig, Limits) {
  ShellOptions o;
  o.memory = "512m";
  o.cpus = "1.5";
  o.pids_limit = 15;
  auto r = *build(o).linux.resources;
  EXPECT_EQ(r["memory"]["limit"], 512 << 20);
  EXPECT_EQ(r["cpu"]["quota"], 150000);
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(r["pids"]["limit"], 15);
  o.memory = "-1";
  o.pids_limit = -1;
  r = *build(o).linux.resources;
  EXPECT_FALSE(r.contains("memory"));
  EXPECT_FALSE(r.contains("pids"));
}

TEST(ShellConfig, Capabilities) {
  ShellOptions o;
  o.cap_add = {"net_admin", "CAP_SYS_PTRACE"};
  o.cap_drop = {"NET_RAW", "chown"};
  auto caps = build(o).process.capabilities->effective;
  auto has = [&](const char* n) { return std::find(caps.begin(), caps.end(), n) != caps.end(); };
  EXPECT_TRUE(has("CAP_NET_ADMIN") && has("CAP_SYS_PTRACE") && has("CAP_KILL"));
  EXPECT_FALSE(has("CAP_NET_RAW") || has("CAP_CHOWN"));
  o.cap_add = {"ALL"};
  o.cap_drop = {};
  EXPECT_EQ(build(o).process.capabilities->bounding.size(), plan::capability_names().size());
  o.cap_drop = {"all"};
  EXPECT_TRUE(build(o).process.capabilities->bounding.empty());
}

TEST(ShellConfig, BadFlagsSayWhich) {
  auto with = [](auto set) {
    ShellOptions o;
    set(o);
    return error_of(o);
  };
  EXPECT_NE(with([](ShellOptions& o) { o.memory = "10X"; }).find("--memory \"10X\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.memory = "0"; }).find("--memory"), std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.cpus = "abc"; }).find("--cpus \"abc\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.cpus = "0"; }).find("--cpus"), std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.pids_limit = 0; }).find("--pids-limit 0"),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.net = "bridge"; }).find("--net \"bridge\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) {
              o.cap_add = {"FLY"};
            }).find("--cap-add: unknown capability \"FLY\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.workdir = "rel"; }).find("--workdir \"rel\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.hostname = "a b"; }).find("--hostname \"a b\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.env = {"=x"}; }).find("--env \"=x\""), std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.user = "bob"; }).find("--user: user \"bob\""),
            std::string::npos);
  EXPECT_NE(with([](ShellOptions& o) { o.command = {""}; }).find("command"), std::string::npos);
  ShellInputs in = inputs();
  in.env_files = {{"bad.env", "OK=1\nnot valid\n"}};
  EXPECT_NE(error_of({}, in).find("--env-file \"bad.env\": line 2"), std::string::npos);
}

TEST(ShellVolume, Parses) {
  auto v = parse_volume("/a:/b");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->source, "/a");
  EXPECT_EQ(v->destination, "/b");
  EXPECT_FALSE(v->read_only);
  EXPECT_TRUE(parse_volume("rel:/b:ro")->read_only);
  EXPECT_FALSE(parse_volume("/a:/b:rw")->read_only);
  for (const char* bad : {"nocolon", ":/b", "/a:", "/a:rel", "/a:/b:xx", "/a:/b:ro:x"}) {
    auto r = parse_volume(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find(std::string("--volume \"") + bad + "\""), std::string::npos);
  }
}

TEST(ShellEnvFile, Parses) {
  auto lines = parse_env_file("A=1\r\n  # comment\n\nB=x y\nC\n");
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, (std::vector<std::string>{"A=1", "B=x y", "C"}));
  EXPECT_FALSE(parse_env_file("=1\n"));
  EXPECT_FALSE(parse_env_file("A B=1\n"));
}

TEST(ShellUser, Resolves) {
  const std::string passwd = "root:x:0:0::/root:/bin/sh\nbob:x:1000:100::/home/bob:/bin/sh\n";
  const std::string group = "root:x:0:\nusers:x:100:\nstaff:x:50:bob\n";
  auto ids = [&](const char* spec) {
    auto r = resolve_user(spec, passwd, group);
    return r ? std::to_string(r->uid) + ":" + std::to_string(r->gid) : r.error().message();
  };
  EXPECT_EQ(ids("bob"), "1000:100");
  EXPECT_EQ(ids("1000"), "1000:100");  // known uid: its passwd group
  EXPECT_EQ(ids("4242"), "4242:0");    // unknown uid: group 0, as docker does
  EXPECT_EQ(ids("bob:staff"), "1000:50");
  EXPECT_EQ(ids("4242:7"), "4242:7");
  EXPECT_EQ(ids("carol"), "user \"carol\": not in the image's /etc/passwd");
  EXPECT_EQ(ids("bob:nogroup"), "group \"nogroup\": not in the image's /etc/group");
  EXPECT_NE(ids("a:b:c").find("must be UID[:GID]"), std::string::npos);
  EXPECT_NE(ids("99999999999").find("not in the image"), std::string::npos);
}

}  // namespace
}  // namespace arca::image
