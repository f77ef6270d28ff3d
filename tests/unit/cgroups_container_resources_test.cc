#include <gtest/gtest.h>

#include "cgroups/container_resources.h"

namespace arca::cgroups {
namespace {

spec::Config config(const char* resources) {
  spec::Config c;
  if (resources != nullptr) c.linux.resources = nlohmann::json::parse(resources);
  return c;
}

TEST(ContainerResources, RootGetsTheDefaultDeviceRulesBestEffort) {
  auto r = container_resources(config(nullptr), true);
  ASSERT_TRUE(r);
  ASSERT_TRUE(*r && (*r)->devices);
  EXPECT_EQ((*r)->devices->size(), default_device_rules({}).size());
  EXPECT_TRUE((*r)->devices_best_effort);
}

TEST(ContainerResources, ConfiguredRulesComeFirstAndAreRequired) {
  auto r = container_resources(config(R"({"devices": [{"allow": false, "access": "rwm"}],
                                          "pids": {"limit": 5}})"),
                               true);
  ASSERT_TRUE(r && *r);
  ASSERT_EQ((*r)->devices->size(), 1 + default_device_rules({}).size());
  EXPECT_EQ((*r)->devices->front().to_string(), "a *:* rwm");
  EXPECT_FALSE((*r)->devices_best_effort);
  EXPECT_EQ((*r)->pids->limit, 5);
}

TEST(ContainerResources, ConfiguredNodeReplacesItsDefaultRule) {
  spec::Config c = config(R"({"devices": []})");
  c.linux.devices.push_back(spec::Device{"c", "/dev/null", 1, 3, {}, {}, {}});
  auto r = container_resources(c, true);
  ASSERT_TRUE(r && *r);
  for (const auto& rule : *(*r)->devices) EXPECT_NE(rule.to_string(), "c 1:3 rwm");
}

TEST(ContainerResources, UnprivilegedGetsOnlyWhatItAsked) {
  auto none = container_resources(config(nullptr), false);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);  // no cgroups at all
  auto pids = container_resources(config(R"({"pids": {"limit": 5}})"), false);
  ASSERT_TRUE(pids && *pids);
  EXPECT_FALSE((*pids)->devices);
  auto devices = container_resources(config(R"({"devices": []})"), false);
  ASSERT_TRUE(devices && *devices);
  EXPECT_EQ((*devices)->devices->size(), default_device_rules({}).size());
}

TEST(ContainerResources, ErrorsNameConfigJson) {
  auto r = container_resources(config(R"({"pids": {"limit": "x"}})"), true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().render().rfind("config.json: /linux/resources/pids/limit", 0), 0u)
      << r.error().render();
}

}  // namespace
}  // namespace arca::cgroups
