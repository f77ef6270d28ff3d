#include <gtest/gtest.h>

#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

using nlohmann::json;

Resources parse(const char* text) {
  auto r = parse_resources(json::parse(text));
  EXPECT_TRUE(r) << r.error().render();
  return r ? *r : Resources{};
}

std::vector<Write> writes(const char* text) {
  auto w = v2_writes(parse(text));
  EXPECT_TRUE(w) << w.error().render();
  return w ? *w : std::vector<Write>{};
}

std::string error(const char* text) {
  auto w = v2_writes(parse(text));
  EXPECT_FALSE(w);
  return w ? "" : w.error().render();
}

TEST(CgroupV2Files, NothingSetNothingWritten) { EXPECT_TRUE(writes("{}").empty()); }

TEST(CgroupV2Files, Memory) {
  std::vector<Write> want = {{"memory", "memory.max", "1048576"},
                             {"memory", "memory.swap.max", "1048576"},
                             {"memory", "memory.low", "524288"}};
  // kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy: no v2 files.
  EXPECT_EQ(writes(R"({"memory": {"limit": 1048576, "swap": 2097152, "reservation": 524288,
      "kernel": 1, "kernelTCP": 2, "swappiness": 10, "disableOOMKiller": true,
      "useHierarchy": true}})"),
            want);
}

TEST(CgroupV2Files, SwapConversion) {
  std::vector<Write> want = {{"memory", "memory.max", "max"}, {"memory", "memory.swap.max", "max"}};
  EXPECT_EQ(writes(R"({"memory": {"limit": -1}})"), want);
  want = {{"memory", "memory.max", "1000"}, {"memory", "memory.swap.max", "max"}};
  EXPECT_EQ(writes(R"({"memory": {"limit": 1000, "swap": -1}})"), want);
  want = {{"memory", "memory.max", "1000"}, {"memory", "memory.swap.max", "0"}};
  EXPECT_EQ(writes(R"({"memory": {"limit": 1000, "swap": 1000}})"), want);
  want = {{"memory", "memory.max", "1000"}};
  EXPECT_EQ(writes(R"({"memory": {"limit": 1000}})"), want);
  EXPECT_EQ(error(R"({"memory": {"limit": 2000, "swap": 1000}})"),
            "/linux/resources/memory/swap: must be at least memory.limit (2000): it is memory "
            "plus swap");
  EXPECT_EQ(error(R"({"memory": {"limit": -1, "swap": 1000}})"),
            "/linux/resources/memory/swap: requires a memory limit (memory.limit)");
}

TEST(CgroupV2Files, CpuWeightConversion) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(1024), 39u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
  std::vector<Write> want = {{"cpu", "cpu.weight", "39"}};
  EXPECT_EQ(writes(R"({"cpu": {"shares": 1024}})"), want);
}

TEST(CgroupV2Files, CpuMax) {
  std::vector<Write> want = {{"cpu", "cpu.max", "50000 100000"}};
  EXPECT_EQ(writes(R"({"cpu": {"quota": 50000, "period": 100000}})"), want);
  want = {{"cpu", "cpu.max", "50000 100000"}};  // default period
  EXPECT_EQ(writes(R"({"cpu": {"quota": 50000}})"), want);
  want = {{"cpu", "cpu.max", "max 250000"}};
  EXPECT_EQ(writes(R"({"cpu": {"period": 250000}})"), want);
  want = {{"cpu", "cpu.max", "max 100000"}};
  EXPECT_EQ(writes(R"({"cpu": {"quota": -1}})"), want);
  EXPECT_TRUE(writes(R"({"cpu": {"quota": 0, "period": 0, "shares": 0}})").empty());
}

TEST(CgroupV2Files, CpuRest) {
  std::vector<Write> want = {{"cpuset", "cpuset.cpus", "1,3"},
                             {"cpuset", "cpuset.mems", "0-1"},
                             {"cpu", "cpu.max.burst", "2000"},
                             {"cpu", "cpu.idle", "1"}};
  EXPECT_EQ(writes(R"({"cpu": {"cpus": "1,3", "mems": "0-1", "burst": 2000, "idle": 1}})"), want);
  EXPECT_EQ(error(R"({"cpu": {"realtimeRuntime": 1000}})"),
            "/linux/resources/cpu/realtimeRuntime: requires cgroup v1");
  EXPECT_EQ(error(R"({"cpu": {"realtimePeriod": 1000}})"),
            "/linux/resources/cpu/realtimePeriod: requires cgroup v1");
}

TEST(CgroupV2Files, Pids) {
  std::vector<Write> want = {{"pids", "pids.max", "15"}};
  EXPECT_EQ(writes(R"({"pids": {"limit": 15}})"), want);
  want = {{"pids", "pids.max", "max"}};
  EXPECT_EQ(writes(R"({"pids": {"limit": -1}})"), want);
  EXPECT_EQ(writes(R"({"pids": {"limit": 0}})"), want);
}

TEST(CgroupV2Files, Io) {
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  std::vector<Write> want = {
      {"io", "io.weight", "default 4950"},
      {"io", "io.weight", "8:0 10000"},
      {"io", "io.max", "8:0 rbps=1048576 riops=3 wiops=4"},
      {"io", "io.max", "8:16 wbps=max"},
  };
  EXPECT_EQ(writes(R"({"blockIO": {"weight": 500, "leafWeight": 300,
      "weightDevice": [{"major": 8, "minor": 0, "weight": 1000, "leafWeight": 200},
                       {"major": 8, "minor": 1, "leafWeight": 200}],
      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
      "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 0}],
      "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 3}],
      "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 4}]}})"),
            want);
}

TEST(CgroupV2Files, HugetlbRdmaUnified) {
  std::vector<Write> want = {
      {"hugetlb", "hugetlb.2MB.max", "209715200"},
      {"rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"},
      {"cgroup", "cgroup.max.depth", "3"},
      {"memory", "memory.high", "1G"},
  };
  EXPECT_EQ(writes(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
      "unified": {"memory.high": "1G", "cgroup.max.depth": "3"}})"),
            want);
}

TEST(CgroupV2Files, NetworkIsV1Only) {
  EXPECT_EQ(error(R"({"network": {"classID": 1}})"),
            "/linux/resources/network: requires cgroup v1 (net_cls, net_prio)");
  EXPECT_EQ(error(R"({"network": {"priorities": [{"name": "lo", "priority": 1}]}})"),
            "/linux/resources/network: requires cgroup v1 (net_cls, net_prio)");
  EXPECT_TRUE(writes(R"({"network": {}})").empty());
}

TEST(CgroupV2Files, DevicesAreRulesNotFiles) {
  Resources r = parse(R"({"devices": [{"allow": true, "type": "c", "major": 1, "minor": 3},
                                      {"allow": false, "type": "b", "access": "m"}]})");
  EXPECT_TRUE(v2_writes(r)->empty());
  auto rules = device_rules(r);
  ASSERT_EQ(rules.size(), 3u + default_device_rules().size());
  EXPECT_EQ(rules[0].to_string(), "a *:* rwm");
  EXPECT_FALSE(rules[0].allow);
  EXPECT_EQ(rules[1].to_string(), "c 1:3 rwm");
  EXPECT_TRUE(rules[1].allow);
  EXPECT_EQ(rules[2].to_string(), "b *:* m");
  EXPECT_FALSE(rules[2].allow);
  EXPECT_EQ(rules.back().to_string(), "c 10:200 rwm");  // the defaults come last
  EXPECT_TRUE(rules.back().allow);
  EXPECT_TRUE(device_rules(parse("{}")).empty());
}

}  // namespace
}  // namespace arca::cgroups
