#include <gtest/gtest.h>

#include <algorithm>

#include "cgroups/v1_files.h"
#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

using nlohmann::json;

std::vector<Write> writes(const char* text) {
  auto r = parse_resources(json::parse(text));
  EXPECT_TRUE(r) << r.error().render();
  if (!r) return {};
  auto w = v1_writes(*r);
  EXPECT_TRUE(w) << w.error().render();
  return w ? *w : std::vector<Write>{};
}

std::string error(const char* text) {
  auto r = parse_resources(json::parse(text));
  EXPECT_TRUE(r) << r.error().render();
  if (!r) return "";
  auto w = v1_writes(*r);
  EXPECT_FALSE(w);
  return w ? "" : w.error().render();
}

TEST(CgroupV1Files, NothingSetNothingWritten) { EXPECT_TRUE(writes("{}").empty()); }

TEST(CgroupV1Files, Memory) {
  std::vector<Write> want = {
      {"memory", "memory.limit_in_bytes", "1048576"},
      {"memory", "memory.memsw.limit_in_bytes", "2097152"},
      {"memory", "memory.soft_limit_in_bytes", "524288"},
      {"memory", "memory.kmem.limit_in_bytes", "4096"},
      {"memory", "memory.kmem.tcp.limit_in_bytes", "8192"},
      {"memory", "memory.swappiness", "0"},
      {"memory", "memory.oom_control", "1"},
      {"memory", "memory.use_hierarchy", "1"},
  };
  EXPECT_EQ(writes(R"({"memory": {"limit": 1048576, "swap": 2097152, "reservation": 524288,
      "kernel": 4096, "kernelTCP": 8192, "swappiness": 0, "disableOOMKiller": true,
      "useHierarchy": true, "checkBeforeUpdate": true}})"),
            want);
}

TEST(CgroupV1Files, UnlimitedMemoryAlsoUnlimitsSwap) {
  std::vector<Write> want = {{"memory", "memory.limit_in_bytes", "-1"},
                             {"memory", "memory.memsw.limit_in_bytes", "-1"}};
  EXPECT_EQ(writes(R"({"memory": {"limit": -1}})"), want);
  want = {{"memory", "memory.limit_in_bytes", "100000"},
          {"memory", "memory.memsw.limit_in_bytes", "-1"}};
  EXPECT_EQ(writes(R"({"memory": {"limit": 100000, "swap": -1}})"), want);
}

TEST(CgroupV1Files, OomKillerFalseAndUseHierarchyFalse) {
  std::vector<Write> want = {{"memory", "memory.use_hierarchy", "0"}};
  EXPECT_EQ(writes(R"({"memory": {"disableOOMKiller": false, "useHierarchy": false}})"), want);
}

TEST(CgroupV1Files, Cpu) {
  std::vector<Write> want = {
      {"cpuset", "cpuset.cpus", "0-3"},
      {"cpuset", "cpuset.mems", "0"},
      {"cpu", "cpu.shares", "512"},
      {"cpu", "cpu.cfs_period_us", "100000"},
      {"cpu", "cpu.cfs_quota_us", "50000"},
      {"cpu", "cpu.cfs_burst_us", "1000"},
      {"cpu", "cpu.rt_period_us", "1000000"},
      {"cpu", "cpu.rt_runtime_us", "950000"},
      {"cpu", "cpu.idle", "0"},
  };
  EXPECT_EQ(writes(R"({"cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
      "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-3", "mems": "0",
      "idle": 0}})"),
            want);
}

TEST(CgroupV1Files, CpuZeroMeansUnset) {
  EXPECT_TRUE(writes(R"({"cpu": {"shares": 0, "quota": 0, "period": 0}})").empty());
  std::vector<Write> want = {{"cpu", "cpu.cfs_quota_us", "-1"}};
  EXPECT_EQ(writes(R"({"cpu": {"quota": -1}})"), want);
}

TEST(CgroupV1Files, Pids) {
  std::vector<Write> want = {{"pids", "pids.max", "15"}};
  EXPECT_EQ(writes(R"({"pids": {"limit": 15}})"), want);
  want = {{"pids", "pids.max", "max"}};
  EXPECT_EQ(writes(R"({"pids": {"limit": -1}})"), want);
  EXPECT_EQ(writes(R"({"pids": {"limit": 0}})"), want);
}

TEST(CgroupV1Files, BlockIo) {
  std::vector<Write> want = {
      {"blkio", "blkio.weight", "500"},
      {"blkio", "blkio.leaf_weight", "300"},
      {"blkio", "blkio.weight_device", "8:0 600"},
      {"blkio", "blkio.leaf_weight_device", "8:0 200"},
      {"blkio", "blkio.weight_device", "8:16 700"},
      {"blkio", "blkio.throttle.read_bps_device", "8:0 1048576"},
      {"blkio", "blkio.throttle.write_bps_device", "8:16 2"},
      {"blkio", "blkio.throttle.read_iops_device", "8:0 3"},
      {"blkio", "blkio.throttle.write_iops_device", "8:0 4"},
      {"blkio", "blkio.throttle.write_iops_device", "8:16 0"},
  };
  EXPECT_EQ(writes(R"({"blockIO": {"weight": 500, "leafWeight": 300,
      "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200},
                       {"major": 8, "minor": 16, "weight": 700}],
      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
      "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2}],
      "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 3}],
      "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 4},
                                  {"major": 8, "minor": 16, "rate": 0}]}})"),
            want);
}

TEST(CgroupV1Files, HugetlbNetworkRdma) {
  std::vector<Write> want = {
      {"hugetlb", "hugetlb.2MB.limit_in_bytes", "209715200"},
      {"hugetlb", "hugetlb.1GB.limit_in_bytes", "0"},
      {"net_cls", "net_cls.classid", "1048577"},
      {"net_prio", "net_prio.ifpriomap", "eth0 5"},
      {"net_prio", "net_prio.ifpriomap", "lo 1"},
      {"rdma", "rdma.max", "mlx4_0 hca_handle=2"},
      {"rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"},
  };
  EXPECT_EQ(writes(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200},
                                         {"pageSize": "1GB", "limit": 0}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5},
                                                     {"name": "lo", "priority": 1}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaHandles": 2},
               "empty": {}}})"),
            want);
}

// The default allow rules every device list ends with (runc's).
std::vector<Write> default_allows() {
  std::vector<Write> out;
  for (const auto& rule : default_device_rules()) {
    out.push_back({"devices", "devices.allow", rule.to_string()});
  }
  return out;
}

TEST(CgroupV1Files, Devices) {
  std::vector<Write> want = {
      {"devices", "devices.deny", "a"},
      {"devices", "devices.deny", "a *:* rwm"},
      {"devices", "devices.allow", "c 1:3 rwm"},
      {"devices", "devices.allow", "c 136:* rw"},
  };
  auto defaults = default_allows();
  want.insert(want.end(), defaults.begin(), defaults.end());
  EXPECT_EQ(writes(R"({"devices": [{"allow": false, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
      {"allow": true, "type": "c", "major": 136, "access": "rw"}]})"),
            want);
  // An empty list still resets to deny-all (+ the defaults); an absent one leaves the
  // device cgroup alone.
  want = {{"devices", "devices.deny", "a"}};
  want.insert(want.end(), defaults.begin(), defaults.end());
  EXPECT_EQ(writes(R"({"devices": []})"), want);
}

TEST(CgroupV1Files, DefaultDevicesStayAllowedAfterDenyAll) {
  // What Podman sends: deny everything, nothing allowed. /dev/null and friends must work.
  auto got = writes(R"({"devices": [{"allow": false, "access": "rwm"}]})");
  for (const char* rule : {"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                           "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"}) {
    EXPECT_NE(std::find(got.begin(), got.end(), Write{"devices", "devices.allow", rule}), got.end())
        << rule;
  }
}

TEST(CgroupV1Files, Errors) {
  EXPECT_EQ(error(R"({"unified": {"memory.high": "1G"}})"),
            "/linux/resources/unified: requires cgroup v2");
  EXPECT_EQ(error(R"({"memory": {"limit": 2000, "swap": 1000}})"),
            "/linux/resources/memory/swap: must be at least memory.limit (2000): it is memory "
            "plus swap");
  EXPECT_EQ(error(R"({"memory": {"swap": 1000}})"),
            "/linux/resources/memory/swap: requires a memory limit (memory.limit)");
}

}  // namespace
}  // namespace arca::cgroups
