#include <gtest/gtest.h>
#include <sched.h>

#include "plan/launch.h"

namespace arca::plan {
namespace {

std::string check(const std::string& key, int flags, bool net = false, bool ipc = false,
                  bool uts = false) {
  auto status = check_sysctl(key, flags, net, ipc, uts);
  return status.ok() ? "ok" : status.error().render();
}

TEST(PlanSysctl, IpcKeys) {
  for (const char* key :
       {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
        "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.msg_max"}) {
    EXPECT_EQ(check(key, CLONE_NEWIPC), "ok") << key;
    EXPECT_EQ(check(key, 0, false, true), "ok") << key;
    EXPECT_EQ(check(key, CLONE_NEWNET | CLONE_NEWUTS, true, false, true),
              "sysctl \"" + std::string(key) + "\" requires an IPC namespace");
  }
}

TEST(PlanSysctl, NetKeys) {
  EXPECT_EQ(check("net.ipv4.ip_forward", CLONE_NEWNET), "ok");
  EXPECT_EQ(check("net.ipv4.ip_forward", 0, true), "ok");
  EXPECT_EQ(check("net.ipv4.ip_forward", CLONE_NEWIPC | CLONE_NEWUTS),
            "sysctl \"net.ipv4.ip_forward\" requires a network namespace");
}

TEST(PlanSysctl, UtsKeys) {
  EXPECT_EQ(check("kernel.domainname", CLONE_NEWUTS), "ok");
  EXPECT_EQ(check("kernel.hostname", 0, false, false, true), "ok");
  EXPECT_EQ(check("kernel.hostname", CLONE_NEWNET | CLONE_NEWIPC),
            "sysctl \"kernel.hostname\" requires a UTS namespace");
}

TEST(PlanSysctl, NotNamespaced) {
  const int all = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS;
  EXPECT_EQ(check("vm.swappiness", all),
            "sysctl \"vm.swappiness\" is not namespaced and cannot be set in a container");
  EXPECT_EQ(check("kernel.pid_max", all),
            "sysctl \"kernel.pid_max\" is not namespaced and cannot be set in a container");
  EXPECT_EQ(check("fs.mqueue", all),
            "sysctl \"fs.mqueue\" is not namespaced and cannot be set in a container");
}

TEST(PlanSysctl, SlashSeparatedKeys) {
  EXPECT_EQ(check("net/ipv4/conf/eth0.100/forwarding", CLONE_NEWNET), "ok");
  EXPECT_EQ(check("kernel/msgmax", CLONE_NEWIPC), "ok");
  EXPECT_EQ(check("kernel/msgmax", CLONE_NEWNET),
            "sysctl \"kernel/msgmax\" requires an IPC namespace");
}

TEST(PlanSysctl, InvalidKeys) {
  for (const char* key : {"", "net..ipv4", "net.", ".net", "net/../../etc/passwd", "net/ipv4//x",
                          "/net/ipv4", "net/./x"}) {
    EXPECT_EQ(check(key, CLONE_NEWNET), "invalid sysctl key \"" + std::string(key) + "\"");
  }
}

TEST(PlanSysctl, PlanBuildsPathsAndPrefixesPointer) {
  spec::Config config;
  config.linux.sysctl = {{"net.ipv4.ip_forward", "1"},
                         {"net/ipv4/conf/eth0.100/forwarding", "0"},
                         {"kernel.shmmax", "4096"}};
  Launch launch;
  launch.clone_flags = CLONE_NEWNET;
  launch.joins.push_back({CLONE_NEWIPC, "ipc", "/proc/1/ns/ipc"});
  ASSERT_TRUE(plan_sysctls(config, &launch).ok());
  ASSERT_EQ(launch.sysctls.size(), 3u);
  EXPECT_EQ(launch.sysctls[0].key, "kernel.shmmax");
  EXPECT_EQ(launch.sysctls[0].path, "/proc/sys/kernel/shmmax");
  EXPECT_EQ(launch.sysctls[0].value, "4096");
  EXPECT_EQ(launch.sysctls[1].path, "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(launch.sysctls[2].path, "/proc/sys/net/ipv4/conf/eth0.100/forwarding");

  config.linux.sysctl = {{"vm.swappiness", "10"}};
  EXPECT_EQ(plan_sysctls(config, &launch).error().render(),
            "/linux/sysctl/vm.swappiness: sysctl \"vm.swappiness\" is not namespaced and "
            "cannot be set in a container");
}

TEST(PlanSysctl, HostnameNeedsUts) {
  spec::Config config;
  config.hostname = "box";
  config.has_hostname = true;
  Launch launch;
  EXPECT_EQ(plan_sysctls(config, &launch).error().render(),
            "/hostname: setting the hostname needs a UTS namespace");
  launch.clone_flags = CLONE_NEWUTS;
  ASSERT_TRUE(plan_sysctls(config, &launch).ok());
  EXPECT_EQ(launch.hostname, "box");
  EXPECT_FALSE(launch.domainname.has_value());
}

}  // namespace
}  // namespace arca::plan
