#include <gtest/gtest.h>
#include <sched.h>

#include "plan/launch.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

namespace arca::plan {
namespace {

spec::Config with_namespaces(std::vector<spec::Namespace> namespaces) {
  spec::Config config;
  config.linux.namespaces = std::move(namespaces);
  return config;
}

TEST(PlanNamespaces, FlagNames) {
  EXPECT_EQ(*namespace_flag("pid"), CLONE_NEWPID);
  EXPECT_EQ(*namespace_flag("network"), CLONE_NEWNET);
  EXPECT_EQ(*namespace_flag("mount"), CLONE_NEWNS);
  EXPECT_EQ(*namespace_flag("ipc"), CLONE_NEWIPC);
  EXPECT_EQ(*namespace_flag("uts"), CLONE_NEWUTS);
  EXPECT_EQ(*namespace_flag("user"), CLONE_NEWUSER);
  EXPECT_EQ(*namespace_flag("cgroup"), CLONE_NEWCGROUP);
  EXPECT_EQ(*namespace_flag("time"), CLONE_NEWTIME);
  EXPECT_EQ(namespace_flag("net").error().render(), "unknown namespace \"net\"");
}

TEST(PlanNamespaces, NewNamespacesGoToCloneFlags) {
  Launch launch;
  auto config = with_namespaces({{"pid", ""}, {"mount", ""}, {"network", ""}});
  ASSERT_TRUE(plan_namespaces(config, &launch).ok());
  EXPECT_EQ(launch.clone_flags, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET);
  EXPECT_TRUE(launch.joins.empty());
  EXPECT_FALSE(launch.new_user_ns);
  EXPECT_FALSE(launch.needs_intermediate);
}

TEST(PlanNamespaces, JoinsAreOrderedUserFirstMountLast) {
  Launch launch;
  auto config = with_namespaces({{"mount", "/proc/1/ns/mnt"},
                                 {"time", "/proc/1/ns/time"},
                                 {"network", "/proc/1/ns/net"},
                                 {"cgroup", "/proc/1/ns/cgroup"},
                                 {"pid", "/proc/1/ns/pid"},
                                 {"uts", "/proc/1/ns/uts"},
                                 {"ipc", "/proc/1/ns/ipc"},
                                 {"user", "/proc/1/ns/user"}});
  ASSERT_TRUE(plan_namespaces(config, &launch).ok());
  EXPECT_EQ(launch.clone_flags, 0);
  std::vector<std::string> order;
  for (const auto& join : launch.joins) order.push_back(join.type);
  EXPECT_EQ(order, (std::vector<std::string>{"user", "ipc", "uts", "network", "pid", "cgroup",
                                             "time", "mount"}));
  EXPECT_EQ(launch.joins[0].clone_flag, CLONE_NEWUSER);
  EXPECT_EQ(launch.joins[0].path, "/proc/1/ns/user");
  EXPECT_EQ(launch.joins[7].clone_flag, CLONE_NEWNS);
  EXPECT_FALSE(launch.new_user_ns);
  EXPECT_TRUE(launch.needs_intermediate);
}

TEST(PlanNamespaces, IntermediateOnlyForUserOrPidJoins) {
  Launch net_only;
  ASSERT_TRUE(plan_namespaces(with_namespaces({{"network", "/x"}, {"pid", ""}}), &net_only).ok());
  EXPECT_FALSE(net_only.needs_intermediate);
  Launch pid;
  ASSERT_TRUE(plan_namespaces(with_namespaces({{"pid", "/x"}}), &pid).ok());
  EXPECT_TRUE(pid.needs_intermediate);
}

TEST(PlanNamespaces, NewUserNamespaceAndMaps) {
  auto config = with_namespaces({{"user", ""}, {"mount", ""}});
  config.linux.uid_mappings = {{0, 1000, 1}, {1, 100000, 65536}};
  config.linux.gid_mappings = {{0, 1000, 1}};
  Launch launch;
  ASSERT_TRUE(plan_namespaces(config, &launch).ok());
  EXPECT_TRUE(launch.new_user_ns);
  EXPECT_FALSE(launch.needs_intermediate);
  EXPECT_EQ(launch.uid_map, "0 1000 1\n1 100000 65536\n");
  EXPECT_EQ(launch.gid_map, "0 1000 1\n");
}

TEST(PlanNamespaces, IdMapText) {
  EXPECT_EQ(id_map_text({}), "");
  EXPECT_EQ(id_map_text({{0, 4294967294u, 1}}), "0 4294967294 1\n");
}

TEST(PlanNamespaces, MappingsWithoutNewUserNamespace) {
  auto config = with_namespaces({{"user", "/proc/1/ns/user"}});
  config.linux.uid_mappings = {{0, 1000, 1}};
  Launch launch;
  EXPECT_EQ(plan_namespaces(config, &launch).error().render(),
            "/linux/uidMappings: needs a new user namespace");
}

TEST(PlanNamespaces, Errors) {
  Launch launch;
  EXPECT_EQ(plan_namespaces(with_namespaces({{"pid", ""}, {"foo", ""}}), &launch).error().render(),
            "/linux/namespaces/1/type: unknown namespace \"foo\"");
  EXPECT_EQ(plan_namespaces(with_namespaces({{"pid", ""}, {"uts", ""}, {"pid", "/p"}}), &launch)
                .error()
                .render(),
            "/linux/namespaces/2: duplicate namespace \"pid\"");
}

TEST(PlanNamespaces, TimeOffsets) {
  auto config = with_namespaces({{"time", ""}});
  config.linux.time_offsets["boottime"] = {-5, 7};
  config.linux.time_offsets["monotonic"] = {100, 0};
  Launch launch;
  ASSERT_TRUE(plan_namespaces(config, &launch).ok());
  EXPECT_EQ(launch.time_offsets, "monotonic 100 0\nboottime -5 7\n");
}

TEST(PlanNamespaces, TimeOffsetErrors) {
  auto config = with_namespaces({{"time", ""}});
  config.linux.time_offsets["realtime"] = {1, 0};
  Launch launch;
  EXPECT_EQ(plan_namespaces(config, &launch).error().render(),
            "/linux/timeOffsets/realtime: unknown clock \"realtime\"");

  auto no_ns = with_namespaces({{"pid", ""}});
  no_ns.linux.time_offsets["monotonic"] = {1, 0};
  EXPECT_EQ(plan_namespaces(no_ns, &launch).error().render(),
            "/linux/timeOffsets: needs a new time namespace");
}

}  // namespace
}  // namespace arca::plan
