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

// Method returns as GDBus writes them (Gio.DBusMessage.to_blob): GetUnit's reply and the
// reply to Properties.Get("org.freedesktop.systemd1.Scope", "ControlGroup").
constexpr const char* kGetUnitReply =
    "6c02010135000000090000004800000007017300180000006f72672e667265656465736b746f702e7379"
    "7374656d6431000000000000000006017300040000003a312e350000000008016700016f000005017500"
    "03000000300000002f6f72672f667265656465736b746f702f73797374656d64312f756e69742f617263"
    "615f326463315f326573636f706500";
constexpr const char* kControlGroupReply =
    "6c02010124000000090000004800000007017300180000006f72672e667265656465736b746f702e7379"
    "7374656d6431000000000000000006017300040000003a312e3500000000080167000176000005017500"
    "04000000017300001b0000002f73797374656d2e736c6963652f617263612d63312e73636f706500";

dbus::Message decoded(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  auto m = dbus::decode(bytes);
  EXPECT_TRUE(m) << m.error().render();
  return m ? *m : dbus::Message{};
}

dbus::Message reply_of(dbus::Value v) {
  dbus::Message m;
  m.type = dbus::Type::kReturn;
  m.body = {std::move(v)};
  return m;
}

TEST(SystemdUnits, WhereSystemdPutTheUnit) {
  dbus::Message unit = decoded(kGetUnitReply);
  EXPECT_EQ(unit.reply_serial, 3u);
  EXPECT_EQ(*unit_object_path(unit), "/org/freedesktop/systemd1/unit/arca_2dc1_2escope");
  dbus::Message cg = decoded(kControlGroupReply);
  EXPECT_EQ(cg.reply_serial, 4u);
  EXPECT_EQ(*unit_control_group(cg), "/system.slice/arca-c1.scope");
  // Each reply where the other is expected.
  EXPECT_EQ(unit_object_path(cg).error().message(), "GetUnit answered \"v\"");
  EXPECT_EQ(unit_control_group(unit).error().message(), "ControlGroup answered \"o\"");
}

TEST(SystemdUnits, ControlGroupMustBeACgroupPath) {
  auto cg = [](const std::string& s) {
    return unit_control_group(reply_of(dbus::Value::variant(dbus::Value::string(s))));
  };
  EXPECT_EQ(*cg("/a.slice/a-b.slice/x.scope"), "/a.slice/a-b.slice/x.scope");
  for (const char* bad : {"", "/", "x.scope", "/a//x.scope", "/a/../x", "/./x", "/a/"}) {
    auto r = cg(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message(),
              "ControlGroup \"" + std::string(bad) + "\" is not a cgroup path");
  }
  auto number = unit_control_group(reply_of(dbus::Value::variant(dbus::Value::u32(1))));
  EXPECT_EQ(number.error().message(), "ControlGroup answered \"v(u)\"");
  EXPECT_FALSE(unit_control_group(dbus::Message{}));
}

}  // namespace
}  // namespace arca::cgroups
