#include <gtest/gtest.h>
#include <sys/stat.h>

#include "plan/launch.h"

namespace arca::plan {
namespace {

std::vector<std::string> paths(const std::vector<DeviceNode>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n.path);
  return out;
}

TEST(PlanDevices, Defaults) {
  auto nodes = default_devices();
  ASSERT_EQ(nodes.size(), 6u);
  EXPECT_EQ(paths(nodes), (std::vector<std::string>{"/dev/null", "/dev/zero", "/dev/full",
                                                    "/dev/random", "/dev/urandom", "/dev/tty"}));
  const std::pair<uint32_t, uint32_t> numbers[] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}};
  for (size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i].type, static_cast<mode_t>(S_IFCHR));
    EXPECT_EQ(nodes[i].major, numbers[i].first) << nodes[i].path;
    EXPECT_EQ(nodes[i].minor, numbers[i].second) << nodes[i].path;
    EXPECT_EQ(nodes[i].mode, 0666u);
    EXPECT_EQ(nodes[i].uid, 0u);
    EXPECT_EQ(nodes[i].gid, 0u);
  }
}

TEST(PlanDevices, DefaultsOnlyOnFreshDev) {
  spec::Config config;
  config.linux.devices = {{"c", "/dev/fuse", 10, 229, std::nullopt, std::nullopt, std::nullopt}};
  Launch launch;
  ASSERT_TRUE(plan_devices(config, &launch).ok());
  EXPECT_EQ(paths(launch.devices), (std::vector<std::string>{"/dev/fuse"}));

  launch.dev_is_tmpfs = true;
  ASSERT_TRUE(plan_devices(config, &launch).ok());
  EXPECT_EQ(launch.devices.size(), 7u);
  EXPECT_EQ(launch.devices.back().path, "/dev/fuse");
}

TEST(PlanDevices, ConfiguredReplacesDefault) {
  spec::Config config;
  config.linux.devices = {{"c", "/dev/null", 1, 3, 0600, 1000, 1001},
                          {"b", "/dev/sda", 8, 0, 020640, std::nullopt, 6}};
  Launch launch;
  launch.dev_is_tmpfs = true;
  ASSERT_TRUE(plan_devices(config, &launch).ok());
  EXPECT_EQ(paths(launch.devices),
            (std::vector<std::string>{"/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                      "/dev/tty", "/dev/null", "/dev/sda"}));
  const DeviceNode& null = launch.devices[5];
  EXPECT_EQ(null.mode, 0600u);
  EXPECT_EQ(null.uid, 1000u);
  EXPECT_EQ(null.gid, 1001u);
  const DeviceNode& sda = launch.devices[6];
  EXPECT_EQ(sda.type, static_cast<mode_t>(S_IFBLK));
  EXPECT_EQ(sda.mode, 0640u);  // type bits stripped
  EXPECT_EQ(sda.uid, 0u);
  EXPECT_EQ(sda.gid, 6u);
}

TEST(PlanDevices, TypesAndDefaults) {
  spec::Config config;
  config.linux.devices = {{"u", "/dev/u", 4, 1, std::nullopt, std::nullopt, std::nullopt},
                          {"p", "/dev/fifo", 0, 0, std::nullopt, std::nullopt, std::nullopt}};
  Launch launch;
  ASSERT_TRUE(plan_devices(config, &launch).ok());
  EXPECT_EQ(launch.devices[0].type, static_cast<mode_t>(S_IFCHR));
  EXPECT_EQ(launch.devices[0].mode, 0666u);
  EXPECT_EQ(launch.devices[1].type, static_cast<mode_t>(S_IFIFO));
}

TEST(PlanDevices, Errors) {
  auto error = [](spec::Device device) {
    spec::Config config;
    config.linux.devices = {{"c", "/dev/ok", 1, 1, std::nullopt, std::nullopt, std::nullopt},
                            device};
    Launch launch;
    return plan_devices(config, &launch).error().render();
  };
  EXPECT_EQ(error({"x", "/dev/a", 1, 1, {}, {}, {}}),
            "/linux/devices/1/type: unknown device type \"x\"");
  EXPECT_EQ(error({"c", "dev/a", 1, 1, {}, {}, {}}),
            "/linux/devices/1/path: \"dev/a\" is not an absolute path");
  EXPECT_EQ(error({"c", "/dev/a", -1, 1, {}, {}, {}}), "/linux/devices/1/major: -1 out of range");
  EXPECT_EQ(error({"b", "/dev/a", 1, 1 << 20, {}, {}, {}}),
            "/linux/devices/1/minor: 1048576 out of range");
  EXPECT_EQ(error({"c", "/dev//ok", 1, 1, {}, {}, {}}),
            "/linux/devices/1/path: duplicate device \"/dev/ok\"");
}

}  // namespace
}  // namespace arca::plan
