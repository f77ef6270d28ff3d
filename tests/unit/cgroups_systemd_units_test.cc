#include <gtest/gtest.h>

#include <cstdint>
#include <map>

#include "cgroups/systemd_units.h"
#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

CgroupsPath scope_path() {
  CgroupsPath p;
  p.kind = CgroupsPath::Kind::kSystemd;
  p.slice = "a-b.slice";
  p.prefix = "arca";
  p.name = "c1";
  return p;
}

// name -> the variant's value, for the a(sv) properties.
std::map<std::string, dbus::Value> by_name(const dbus::Value& props) {
  std::map<std::string, dbus::Value> out;
  for (const auto& p : props.items) out[p.items[0].str] = p.items[1].items[0];
  return out;
}

TEST(SystemdUnits, UnitName) {
  auto p = scope_path();
  EXPECT_EQ(*systemd_unit_name(p), "arca-c1.scope");
  p.prefix = "";
  EXPECT_EQ(*systemd_unit_name(p), "c1.scope");
  p.name = "x.slice";
  EXPECT_FALSE(systemd_unit_name(p));
}

TEST(SystemdUnits, PropertiesLikeRunc) {
  Resources r;
  r.memory = Memory{};
  r.memory->limit = 64 << 20;
  r.pids = Pids{};
  r.pids->limit = 20;
  r.cpu = Cpu{};
  r.cpu->shares = 512;
  r.cpu->quota = 25000;
  r.cpu->period = 100000;
  auto v1 = by_name(unit_properties(scope_path(), 42, &r, false));
  EXPECT_EQ(v1.at("Slice").str, "a-b.slice");
  EXPECT_EQ(v1.at("Delegate").num, 1u);
  EXPECT_EQ(v1.at("PIDs").sig, "au");
  EXPECT_EQ(v1.at("PIDs").items.at(0).num, 42u);
  EXPECT_EQ(v1.at("DefaultDependencies").num, 0u);
  EXPECT_EQ(v1.at("MemoryLimit").num, 64u << 20);
  EXPECT_EQ(v1.at("TasksMax").num, 20u);
  EXPECT_EQ(v1.at("CPUShares").num, 512u);
  EXPECT_EQ(v1.at("CPUQuotaPerSecUSec").num, 250000u);
  EXPECT_EQ(v1.count("BlockIOAccounting"), 1u);
  auto v2 = by_name(unit_properties(scope_path(), 42, &r, true));
  EXPECT_EQ(v2.at("MemoryMax").num, 64u << 20);
  EXPECT_EQ(v2.at("CPUWeight").num, shares_to_weight(512));
  EXPECT_EQ(v2.count("CPUShares"), 0u);
  EXPECT_EQ(v2.count("IOAccounting"), 1u);
  auto none = by_name(unit_properties(scope_path(), 42, nullptr, false));
  EXPECT_EQ(none.count("MemoryLimit"), 0u);
  EXPECT_EQ(none.count("TasksMax"), 0u);
}

TEST(SystemdUnits, Conversions) {
  EXPECT_EQ(cpu_quota_per_sec(50000, 100000), 500000u);
  EXPECT_EQ(cpu_quota_per_sec(1234, 100000), 20000u);  // 12340 rounded up to 10 ms
  EXPECT_EQ(cpu_quota_per_sec(-1, 100000), UINT64_MAX);
  EXPECT_EQ(cpu_quota_per_sec(20000, 0), 200000u);
}

}  // namespace
}  // namespace arca::cgroups
