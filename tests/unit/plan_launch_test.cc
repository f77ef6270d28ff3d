#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "plan/launch.h"

namespace arca::plan {
namespace {

TEST(PlanPaths, CleanKeepsDotDot) {
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("//"), "/");
  EXPECT_EQ(clean_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(clean_path("/a/../b"), "/a/../b");
  EXPECT_EQ(clean_path("a/./b"), "a/b");
  EXPECT_EQ(clean_path("./"), ".");
  EXPECT_EQ(clean_path(""), ".");
}

spec::Config fs_config(const std::string& root) {
  spec::Config config;
  config.root.path = root;
  return config;
}

TEST(PlanFilesystem, RootfsResolution) {
  Launch launch;
  ASSERT_TRUE(plan_filesystem(fs_config("rootfs"), "/b/bundle", &launch).ok());
  EXPECT_EQ(launch.rootfs, "/b/bundle/rootfs");
  ASSERT_TRUE(plan_filesystem(fs_config("./sub//rootfs/"), "/b/bundle/", &launch).ok());
  EXPECT_EQ(launch.rootfs, "/b/bundle/sub/rootfs");
  ASSERT_TRUE(plan_filesystem(fs_config("/srv//root/"), "/b/bundle", &launch).ok());
  EXPECT_EQ(launch.rootfs, "/srv/root");
  EXPECT_EQ(plan_filesystem(fs_config(""), "/b", &launch).error().render(),
            "/root/path: must not be empty");
}

TEST(PlanFilesystem, RootfsPropagation) {
  auto config = fs_config("/r");
  Launch launch;
  ASSERT_TRUE(plan_filesystem(config, "/b", &launch).ok());
  EXPECT_EQ(launch.rootfs_propagation, 0u);
  config.linux.rootfs_propagation = "rslave";
  ASSERT_TRUE(plan_filesystem(config, "/b", &launch).ok());
  EXPECT_EQ(launch.rootfs_propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  config.linux.rootfs_propagation = "bogus";
  EXPECT_EQ(plan_filesystem(config, "/b", &launch).error().render(),
            "/linux/rootfsPropagation: unknown propagation \"bogus\"");
}

TEST(PlanFilesystem, BindMounts) {
  auto config = fs_config("/r");
  config.mounts = {{"/data/", "", "data", {"rbind", "ro"}, {}, {}},
                   {"//etc/./hosts", "bind", "/host/hosts", {}, {}, {}},
                   {"/x/../y", "none", "../shared", {"bind", "rprivate"}, {}, {}}};
  Launch launch;
  ASSERT_TRUE(plan_filesystem(config, "/b/bundle", &launch).ok());
  ASSERT_EQ(launch.mounts.size(), 3u);
  const MountStep& data = launch.mounts[0];
  EXPECT_TRUE(data.bind);
  EXPECT_EQ(data.fstype, "bind");
  EXPECT_EQ(data.source, "/b/bundle/data");
  EXPECT_EQ(data.destination, "/data");
  EXPECT_EQ(data.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_TRUE(data.needs_remount());

  const MountStep& hosts = launch.mounts[1];
  EXPECT_TRUE(hosts.bind);
  EXPECT_EQ(hosts.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(hosts.destination, "/etc/hosts");
  EXPECT_FALSE(hosts.needs_remount());

  const MountStep& shared = launch.mounts[2];
  EXPECT_EQ(shared.source, "/b/bundle/../shared");
  EXPECT_EQ(shared.destination, "/x/../y");
  EXPECT_EQ(shared.propagation, (std::vector<unsigned long>{MS_PRIVATE | MS_REC}));
  EXPECT_FALSE(launch.dev_is_tmpfs);
}

TEST(PlanFilesystem, MountErrors) {
  auto error = [](spec::Mount mount) {
    auto config = fs_config("/r");
    config.mounts = {{"/ok", "tmpfs", "tmpfs", {}, {}, {}}, std::move(mount)};
    Launch launch;
    return plan_filesystem(config, "/b", &launch).error().render();
  };
  EXPECT_EQ(error({"rel", "tmpfs", "tmpfs", {}, {}, {}}),
            "/mounts/1/destination: \"rel\" is not an absolute path");
  EXPECT_EQ(error({"/m", "bind", "/s", {"idmap"}, {}, {}}),
            "/mounts/1/options: unsupported mount option \"idmap\"");
  EXPECT_EQ(error({"/m", "bind", "", {}, {}, {}}), "/mounts/1/source: a bind mount needs a source");
  EXPECT_EQ(error({"/m", "bind", "/s", {}, {{0, 1000, 1}}, {}}),
            "/mounts/1/uidMappings: not supported yet");
  EXPECT_EQ(error({"/m", "proc", "proc", {"tmpcopyup"}, {}, {}}),
            "/mounts/1/options: \"tmpcopyup\" needs a tmpfs mount");
}

spec::Config realistic_config() {
  spec::Config c;
  c.oci_version = "1.2.0";
  c.root = {"rootfs", true};
  c.has_process = true;
  c.process.args = {"/bin/sh", "-c", "echo hi"};
  c.process.env = {"PATH=/usr/bin:/bin", "TERM=xterm"};
  c.process.cwd = "/";
  c.process.user.uid = 1000;
  c.process.user.gid = 1000;
  c.process.user.additional_gids = {5, 10};
  c.process.user.umask = 022;
  c.process.capabilities = spec::Capabilities{};
  c.process.capabilities->bounding = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  c.process.capabilities->effective = c.process.capabilities->bounding;
  c.process.capabilities->permitted = c.process.capabilities->bounding;
  c.process.rlimits = {{"RLIMIT_NOFILE", 1024, 1024}};
  c.process.no_new_privileges = true;
  c.process.oom_score_adj = 100;
  c.hostname = "arca";
  c.has_hostname = true;
  c.mounts = {
      {"/proc", "proc", "proc", {}, {}, {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, {}, {}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
       {},
       {}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"},
       {},
       {}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}, {}, {}},
      {"/etc/resolv.conf", "", "resolv.conf", {"rbind", "ro", "nosuid"}, {}, {}},
  };
  c.has_linux = true;
  c.linux.namespaces = {{"pid", ""},   {"network", "/var/run/netns/ns1"},
                        {"ipc", ""},   {"uts", ""},
                        {"mount", ""}, {"cgroup", ""}};
  c.linux.devices = {{"c", "/dev/fuse", 10, 229, 0600, std::nullopt, std::nullopt}};
  c.linux.sysctl = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "65536"}};
  c.linux.masked_paths = {"/proc/kcore", "/proc/keys"};
  c.linux.readonly_paths = {"/proc/sys", "/proc/bus"};
  c.linux.rootfs_propagation = "rprivate";
  c.linux.resources = nlohmann::json::object();
  c.linux.seccomp = nlohmann::json{{"defaultAction", "SCMP_ACT_ALLOW"}};
  return c;
}

TEST(PlanLaunch, RealisticConfig) {
  auto result = make_launch(realistic_config(), "/run/bundles/box");
  ASSERT_TRUE(result.ok()) << result.error().render();
  const Launch& l = *result;
  EXPECT_EQ(l.clone_flags,
            CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP);
  ASSERT_EQ(l.joins.size(), 1u);
  EXPECT_EQ(l.joins[0].clone_flag, CLONE_NEWNET);
  EXPECT_FALSE(l.new_user_ns);
  EXPECT_FALSE(l.needs_intermediate);
  EXPECT_EQ(l.rootfs, "/run/bundles/box/rootfs");
  EXPECT_TRUE(l.rootfs_readonly);
  EXPECT_EQ(l.rootfs_propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  ASSERT_EQ(l.mounts.size(), 6u);
  EXPECT_EQ(l.mounts[1].data, "mode=755,size=65536k");
  EXPECT_EQ(l.mounts[1].flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(l.mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  EXPECT_EQ(l.mounts[5].source, "/run/bundles/box/resolv.conf");
  EXPECT_TRUE(l.mounts[5].needs_remount());
  EXPECT_TRUE(l.dev_is_tmpfs);
  ASSERT_EQ(l.devices.size(), 7u);
  EXPECT_EQ(l.devices[6].path, "/dev/fuse");
  EXPECT_EQ(l.masked_paths.size(), 2u);
  EXPECT_EQ(l.readonly_paths.size(), 2u);
  EXPECT_EQ(l.hostname, "arca");
  EXPECT_FALSE(l.domainname.has_value());
  ASSERT_EQ(l.sysctls.size(), 2u);
  EXPECT_EQ(l.sysctls[0].path, "/proc/sys/kernel/shmmax");
  EXPECT_EQ(l.sysctls[1].path, "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(l.args.size(), 3u);
  EXPECT_EQ(l.env[1], "TERM=xterm");
  EXPECT_EQ(l.cwd, "/");
  EXPECT_EQ(l.uid, 1000u);
  EXPECT_EQ(l.gid, 1000u);
  EXPECT_EQ(l.additional_gids, (std::vector<gid_t>{5, 10}));
  EXPECT_EQ(l.umask, static_cast<mode_t>(022));
  ASSERT_TRUE(l.caps.has_value());
  const uint64_t expected = (uint64_t{1} << 29) | (uint64_t{1} << 5) | (uint64_t{1} << 10);
  EXPECT_EQ(l.caps->bounding, expected);
  EXPECT_EQ(l.caps->effective, expected);
  EXPECT_EQ(l.caps->inheritable, 0u);
  ASSERT_EQ(l.rlimits.size(), 1u);
  EXPECT_EQ(l.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(l.rlimits[0].name, "RLIMIT_NOFILE");
  EXPECT_TRUE(l.no_new_privileges);
  EXPECT_EQ(l.oom_score_adj, 100);
  EXPECT_FALSE(l.personality.has_value());
}

TEST(PlanLaunch, ErrorsCarryPointers) {
  auto config = realistic_config();
  config.linux.sysctl["vm.swappiness"] = "10";
  EXPECT_EQ(make_launch(config, "/b").error().render(),
            "/linux/sysctl/vm.swappiness: sysctl \"vm.swappiness\" is not namespaced and "
            "cannot be set in a container");

  config = realistic_config();
  config.linux.namespaces.push_back({"foo", ""});
  EXPECT_EQ(make_launch(config, "/b").error().render(),
            "/linux/namespaces/6/type: unknown namespace \"foo\"");

  config = realistic_config();
  config.has_process = false;
  EXPECT_EQ(make_launch(config, "/b").error().render(), "/process: required to start a container");
}

}  // namespace
}  // namespace arca::plan
