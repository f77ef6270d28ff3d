#include <gtest/gtest.h>

#include "cgroups/resources.h"

namespace arca::cgroups {
namespace {

using nlohmann::json;

Resources parse_ok(const json& j) {
  auto r = parse_resources(j);
  EXPECT_TRUE(r) << r.error().render();
  return r ? *r : Resources{};
}

std::string parse_error(const json& j) {
  auto r = parse_resources(j);
  EXPECT_FALSE(r);
  return r ? "" : r.error().render();
}

TEST(CgroupResources, EmptyObjectSetsNothing) {
  Resources r = parse_ok(json::object());
  EXPECT_FALSE(r.memory);
  EXPECT_FALSE(r.cpu);
  EXPECT_FALSE(r.pids);
  EXPECT_FALSE(r.block_io);
  EXPECT_FALSE(r.network);
  EXPECT_FALSE(r.devices);
  EXPECT_TRUE(r.hugepage_limits.empty());
  EXPECT_TRUE(r.rdma.empty());
  EXPECT_TRUE(r.unified.empty());
}

TEST(CgroupResources, ParsesEveryMember) {
  Resources r = parse_ok(json::parse(R"({
    "memory": {"limit": 1000000, "reservation": 500000, "swap": 2000000, "kernel": -1,
               "kernelTCP": 4096, "swappiness": 60, "disableOOMKiller": true,
               "useHierarchy": false, "checkBeforeUpdate": true},
    "cpu": {"shares": 1024, "quota": 50000, "burst": 1000, "period": 100000,
            "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-3",
            "mems": "0", "idle": 1},
    "pids": {"limit": 42},
    "blockIO": {"weight": 500, "leafWeight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2}],
                "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 3}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 4}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
    "unified": {"memory.high": "1G", "io.latency": "8:0 target=10"},
    "devices": [{"allow": false, "access": "rwm"},
                {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "mwr"}]
  })"));
  ASSERT_TRUE(r.memory);
  EXPECT_EQ(*r.memory->limit, 1000000);
  EXPECT_EQ(*r.memory->reservation, 500000);
  EXPECT_EQ(*r.memory->swap, 2000000);
  EXPECT_EQ(*r.memory->kernel, -1);
  EXPECT_EQ(*r.memory->kernel_tcp, 4096);
  EXPECT_EQ(*r.memory->swappiness, 60u);
  EXPECT_TRUE(*r.memory->disable_oom_killer);
  EXPECT_FALSE(*r.memory->use_hierarchy);
  EXPECT_TRUE(*r.memory->check_before_update);
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(*r.cpu->shares, 1024u);
  EXPECT_EQ(*r.cpu->quota, 50000);
  EXPECT_EQ(*r.cpu->burst, 1000u);
  EXPECT_EQ(*r.cpu->period, 100000u);
  EXPECT_EQ(*r.cpu->realtime_runtime, 950000);
  EXPECT_EQ(*r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "0-3");
  EXPECT_EQ(r.cpu->mems, "0");
  EXPECT_EQ(*r.cpu->idle, 1);
  EXPECT_EQ(r.pids->limit, 42);
  ASSERT_TRUE(r.block_io);
  EXPECT_EQ(*r.block_io->weight, 500u);
  EXPECT_EQ(*r.block_io->leaf_weight, 300u);
  ASSERT_EQ(r.block_io->weight_device.size(), 1u);
  EXPECT_EQ(r.block_io->weight_device[0].major, 8);
  EXPECT_EQ(*r.block_io->weight_device[0].weight, 600u);
  EXPECT_EQ(*r.block_io->weight_device[0].leaf_weight, 200u);
  EXPECT_EQ(r.block_io->throttle_read_bps[0].rate, 1048576u);
  EXPECT_EQ(r.block_io->throttle_write_bps[0].minor, 16);
  EXPECT_EQ(r.block_io->throttle_read_iops[0].rate, 3u);
  EXPECT_EQ(r.block_io->throttle_write_iops[0].rate, 4u);
  ASSERT_EQ(r.hugepage_limits.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 209715200u);
  EXPECT_EQ(*r.network->class_id, 1048577u);
  EXPECT_EQ(r.network->priorities[0].name, "eth0");
  EXPECT_EQ(r.network->priorities[0].priority, 5u);
  EXPECT_EQ(*r.rdma.at("mlx5_1").hca_handles, 3u);
  EXPECT_EQ(*r.rdma.at("mlx5_1").hca_objects, 10000u);
  EXPECT_EQ(r.unified.at("memory.high"), "1G");
  ASSERT_TRUE(r.devices);
  ASSERT_EQ(r.devices->size(), 2u);
  EXPECT_EQ((*r.devices)[0].to_string(), "a *:* rwm");
  EXPECT_FALSE((*r.devices)[0].allow);
  EXPECT_EQ((*r.devices)[1].to_string(), "c 1:3 rwm");  // access normalized
  EXPECT_TRUE((*r.devices)[1].allow);
}

TEST(CgroupResources, DeviceWildcards) {
  Resources r = parse_ok(json::parse(
      R"({"devices": [{"allow": true, "type": "b", "major": -1, "minor": 5, "access": "r"},
                      {"allow": true, "type": "c", "major": 136}]})"));
  EXPECT_EQ((*r.devices)[0].to_string(), "b *:5 r");
  EXPECT_EQ((*r.devices)[1].to_string(), "c 136:* rwm");
}

TEST(CgroupResources, NullMembersAreAbsent) {
  Resources r = parse_ok(json::parse(R"({"memory": null, "cpu": {"shares": null}})"));
  EXPECT_FALSE(r.memory);
  ASSERT_TRUE(r.cpu);
  EXPECT_FALSE(r.cpu->shares);
}

struct BadCase {
  const char* json;
  const char* error;
};

TEST(CgroupResources, ErrorsNameThePointer) {
  const BadCase cases[] = {
      {R"([])", "/linux/resources: must be an object"},
      {R"({"memory": 5})", "/linux/resources/memory: must be an object"},
      {R"({"memory": {"limit": "1G"}})", "/linux/resources/memory/limit: must be"},
      {R"({"memory": {"limit": -2}})",
       "/linux/resources/memory/limit: must be a number of bytes or -1 (unlimited)"},
      {R"({"memory": {"swap": -5}})", "/linux/resources/memory/swap: must be a number"},
      {R"({"memory": {"swappiness": 101}})",
       "/linux/resources/memory/swappiness: must be between 0 and 100, not 101"},
      {R"({"memory": {"disableOOMKiller": 1}})",
       "/linux/resources/memory/disableOOMKiller: must be"},
      {R"({"cpu": {"shares": 1}})",
       "/linux/resources/cpu/shares: must be between 2 and 262144, not 1"},
      {R"({"cpu": {"shares": 262145}})", "/linux/resources/cpu/shares: must be between"},
      {R"({"cpu": {"period": 999}})",
       "/linux/resources/cpu/period: must be between 1000 and 1000000, not 999"},
      {R"({"cpu": {"quota": 500}})",
       "/linux/resources/cpu/quota: must be at least 1000 (µs) or -1 (unlimited)"},
      {R"({"cpu": {"idle": 2}})", "/linux/resources/cpu/idle: must be 0 or 1"},
      {R"({"cpu": {"realtimeRuntime": -3}})", "/linux/resources/cpu/realtimeRuntime: must be"},
      {R"({"cpu": {"cpus": "0-3;5"}})", "/linux/resources/cpu/cpus: must be a list like"},
      {R"({"cpu": {"mems": 0}})", "/linux/resources/cpu/mems: must be"},
      {R"({"pids": {}})", "/linux/resources/pids/limit: is required"},
      {R"({"pids": {"limit": 1.5}})", "/linux/resources/pids/limit: must be"},
      {R"({"blockIO": {"weight": 5}})",
       "/linux/resources/blockIO/weight: must be between 10 and 1000, not 5"},
      {R"({"blockIO": {"leafWeight": 1001}})", "/linux/resources/blockIO/leafWeight: must be"},
      {R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 2000}]}})",
       "/linux/resources/blockIO/weightDevice/0/weight: must be between 10 and 1000"},
      {R"({"blockIO": {"weightDevice": [{"minor": 0}]}})",
       "/linux/resources/blockIO/weightDevice/0/major: is required"},
      {R"({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}})",
       "/linux/resources/blockIO/throttleReadBpsDevice/0/rate: is required"},
      {R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": -1}]}})",
       "/linux/resources/blockIO/throttleWriteIOPSDevice/0/rate: must be"},
      {R"({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})",
       "/linux/resources/hugepageLimits/0/pageSize: must be a size like"},
      {R"({"hugepageLimits": [{"pageSize": "../2MB", "limit": 1}]})",
       "/linux/resources/hugepageLimits/0/pageSize: must be a size like"},
      {R"({"hugepageLimits": [{"pageSize": "2MB"}]})",
       "/linux/resources/hugepageLimits/0/limit: is required"},
      {R"({"network": {"classID": -1}})", "/linux/resources/network/classID: must be"},
      {R"({"network": {"priorities": [{"name": "a b", "priority": 1}]}})",
       "/linux/resources/network/priorities/0/name: must be a network interface name"},
      {R"({"rdma": {"mlx": {"hcaHandles": "x"}}})",
       "/linux/resources/rdma/mlx/hcaHandles: must be"},
      {R"({"unified": {"memory.high": 5}})", "/linux/resources/unified/memory.high: must be"},
      {R"({"unified": {"../x.y": "1"}})",
       "/linux/resources/unified/..~1x.y: must name a cgroup v2 file"},
      {R"({"unified": {"nodot": "1"}})", "/linux/resources/unified/nodot: must name"},
      {R"({"devices": [{"type": "c"}]})", "/linux/resources/devices/0/allow: is required"},
      {R"({"devices": [{"allow": true, "type": "x"}]})",
       "/linux/resources/devices/0/type: must be \"a\", \"c\" or \"b\""},
      {R"({"devices": [{"allow": true, "access": "rx"}]})",
       "/linux/resources/devices/0/access: must be a combination"},
      {R"({"devices": [{"allow": true, "access": ""}]})",
       "/linux/resources/devices/0/access: must be a combination"},
      {R"({"devices": [{"allow": true, "major": -7}]})",
       "/linux/resources/devices/0/major: must be a device number or -1 (any)"},
  };
  for (const auto& c : cases) {
    std::string error = parse_error(json::parse(c.json));
    EXPECT_EQ(error.rfind(c.error, 0), 0u) << c.json << "\n  got: " << error;
  }
}

TEST(CgroupResources, PointerIsConfigurable) {
  auto r = parse_resources(json::parse(R"({"pids": {"limit": "x"}})"), "/resources");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().render().rfind("/resources/pids/limit: must be", 0), 0u);
}

}  // namespace
}  // namespace arca::cgroups
