#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cgroups/recorded_manager.h"

namespace arca::cgroups {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Plain directories standing in for the recorded cgroup directories.
class RecordedManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arca-recorded-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string dir(const std::string& name) {
    std::string d = root_ + "/" + name;
    fs::create_directories(d);
    return d;
  }
  void put(const std::string& d, const std::string& file, const std::string& text) {
    std::ofstream(d + "/" + file) << text;
  }
  std::string get(const std::string& d, const std::string& file) {
    std::ifstream in(d + "/" + file);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static Resources resources(const char* text) {
    auto r = parse_resources(json::parse(text));
    EXPECT_TRUE(r) << r.error().render();
    return r ? *r : Resources{};
  }

  RecordedOptions imitation_{true};
  std::string root_;
};

TEST_F(RecordedManagerTest, V1WritesGoToTheirControllersDirectory) {
  std::string mem = dir("memory/c"), pids = dir("pids/c"), cpu = dir("cpu,cpuacct/c");
  put(mem, "memory.limit_in_bytes", "");
  put(pids, "pids.max", "");
  put(cpu, "cpu.shares", "");
  json paths = {{"memory", mem}, {"pids", pids}, {"cpu", cpu}, {"cpuacct", cpu}, {"", dir("u")}};
  EXPECT_FALSE(recorded_is_v2(paths));
  auto s = apply_recorded(
      paths, resources(R"({"memory":{"limit":67108864},"pids":{"limit":20},"cpu":{"shares":512}})"),
      imitation_);
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(get(mem, "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(get(pids, "pids.max"), "20");
  EXPECT_EQ(get(cpu, "cpu.shares"), "512");
}

TEST_F(RecordedManagerTest, MissingControllerIsNamed) {
  json paths = {{"memory", dir("memory/c")}, {"", dir("u")}};
  auto s = apply_recorded(paths, resources(R"({"pids":{"limit":20}})"), imitation_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().render().find("\"pids\""), std::string::npos) << s.error().render();
  EXPECT_NE(s.error().render().find("pids.max"), std::string::npos);
}

TEST_F(RecordedManagerTest, V2WritesGoToTheUnifiedDirectory) {
  std::string u = dir("u/c");
  put(u, "pids.max", "");
  put(u, "memory.max", "");
  json paths = {{"", u}};
  EXPECT_TRUE(recorded_is_v2(paths));
  auto s = apply_recorded(paths, resources(R"({"pids":{"limit":7},"memory":{"limit":4096}})"),
                          imitation_);
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(get(u, "pids.max"), "7");
  EXPECT_EQ(get(u, "memory.max"), "4096");
}

TEST_F(RecordedManagerTest, CheckBeforeUpdateRefusesALimitBelowUsage) {
  std::string u = dir("u/c");
  put(u, "memory.max", "max");
  put(u, "memory.swap.max", "max");
  put(u, "memory.current", "10000\n");
  json paths = {{"", u}};
  auto s = apply_recorded(paths, resources(R"({"memory":{"limit":10000,"checkBeforeUpdate":true}})"),
                          imitation_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render(),
            "/linux/resources/memory/limit: 10000 is not above the current usage (10000 bytes) "
            "and checkBeforeUpdate is set");
  EXPECT_EQ(get(u, "memory.max"), "max");  // nothing written
  // Without the flag the same limit is written (and left to the kernel).
  s = apply_recorded(paths, resources(R"({"memory":{"limit":10000}})"), imitation_);
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(get(u, "memory.max"), "10000");
  // Above the usage it passes with the flag too.
  s = apply_recorded(paths, resources(R"({"memory":{"limit":20000,"checkBeforeUpdate":true}})"),
                     imitation_);
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(get(u, "memory.max"), "20000");
}

TEST_F(RecordedManagerTest, NoRecordIsAnError) {
  EXPECT_FALSE(apply_recorded(json::object(), Resources{}, imitation_));
  EXPECT_FALSE(recorded_stats(json::object(), imitation_));
}

TEST_F(RecordedManagerTest, V1Stats) {
  std::string mem = dir("memory/c"), pids = dir("pids/c"), cpu = dir("cpu/c"),
              acct = dir("cpuacct/c"), huge = dir("hugetlb/c");
  put(acct, "cpuacct.usage", "123456\n");
  put(acct, "cpuacct.usage_percpu", "100000 23456 \n");
  put(acct, "cpuacct.stat", "user 3\nsystem 1\n");
  put(cpu, "cpu.stat", "nr_periods 4\nnr_throttled 2\nthrottled_time 99\n");
  put(mem, "memory.usage_in_bytes", "4096\n");
  put(mem, "memory.max_usage_in_bytes", "8192\n");
  put(mem, "memory.failcnt", "0\n");
  put(mem, "memory.limit_in_bytes", "67108864\n");
  put(mem, "memory.stat", "cache 10\nrss 20\n");
  put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  put(pids, "pids.current", "2\n");
  put(pids, "pids.max", "max\n");
  put(huge, "hugetlb.2MB.usage_in_bytes", "0\n");
  put(huge, "hugetlb.2MB.failcnt", "0\n");
  json paths = {
      {"memory", mem}, {"pids", pids}, {"cpu", cpu}, {"cpuacct", acct}, {"hugetlb", huge}};
  auto r = recorded_stats(paths, imitation_);
  ASSERT_TRUE(r) << r.error().render();
  const json& d = *r;
  long hz = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(d["cpu"]["usage"]["total"], 123456u);
  EXPECT_EQ(d["cpu"]["usage"]["percpu"], json({100000, 23456}));
  EXPECT_EQ(d["cpu"]["usage"]["user"], 3u * (1000000000u / hz));
  EXPECT_EQ(d["cpu"]["usage"]["kernel"], 1u * (1000000000u / hz));
  EXPECT_EQ(d["cpu"]["throttling"],
            json({{"periods", 4}, {"throttledPeriods", 2}, {"throttledTime", 99}}));
  EXPECT_EQ(d["memory"]["usage"],
            json({{"usage", 4096}, {"max", 8192}, {"failcnt", 0}, {"limit", 67108864}}));
  EXPECT_EQ(d["memory"]["cache"], 10u);
  EXPECT_EQ(d["memory"]["raw"], json({{"cache", 10}, {"rss", 20}}));
  EXPECT_EQ(d["memory"]["swap"], json({{"failcnt", 0}, {"limit", 0}}));
  EXPECT_EQ(d["pids"], json({{"current", 2}}));  // "max": no limit, left out as runc does
  EXPECT_EQ(d["hugetlb"], json({{"2MB", {{"failcnt", 0}}}}));
  EXPECT_EQ(recorded_oom_kills(paths, imitation_), 3u);
}

TEST_F(RecordedManagerTest, V2Stats) {
  std::string u = dir("u/c");
  put(u, "cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 0\n");
  put(u, "memory.current", "4096\n");
  put(u, "memory.max", "max\n");
  put(u, "memory.stat", "anon 1\nfile 2\n");
  put(u, "memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
  put(u, "pids.current", "3\n");
  put(u, "pids.max", "20\n");
  json paths = {{"", u}};
  auto r = recorded_stats(paths, imitation_);
  ASSERT_TRUE(r) << r.error().render();
  const json& d = *r;
  EXPECT_EQ(d["cpu"]["usage"], json({{"total", 10000}, {"user", 6000}, {"kernel", 4000}}));
  EXPECT_EQ(d["memory"]["usage"]["usage"], 4096u);
  EXPECT_EQ(d["memory"]["usage"]["failcnt"], 5u);
  EXPECT_EQ(d["memory"]["usage"]["limit"], UINT64_MAX);
  EXPECT_EQ(d["pids"], json({{"current", 3}, {"limit", 20}}));
  EXPECT_EQ(recorded_oom_kills(paths, imitation_), 1u);
}

TEST(RecordedParse, RamBytes) {
  EXPECT_EQ(*parse_ram_bytes("1024"), 1024);
  EXPECT_EQ(*parse_ram_bytes("512k"), 512 << 10);
  EXPECT_EQ(*parse_ram_bytes("64m"), 64 << 20);
  EXPECT_EQ(*parse_ram_bytes("64MiB"), 64 << 20);
  EXPECT_EQ(*parse_ram_bytes("64mb"), 64 << 20);
  EXPECT_EQ(*parse_ram_bytes("1g"), int64_t{1} << 30);
  EXPECT_EQ(*parse_ram_bytes("1.5G"), int64_t{3} << 29);
  EXPECT_EQ(*parse_ram_bytes("-1"), -1);
  for (const char* bad : {"", "10X", "m", "-2", "1gg", ".5m", "1e9"}) {
    EXPECT_FALSE(parse_ram_bytes(bad)) << bad;
  }
}

TEST(RecordedParse, Duration) {
  EXPECT_EQ(*parse_duration_ms("5s"), 5000u);
  EXPECT_EQ(*parse_duration_ms("500ms"), 500u);
  EXPECT_EQ(*parse_duration_ms("1m30s"), 90000u);
  EXPECT_EQ(*parse_duration_ms("1.5s"), 1500u);
  for (const char* bad : {"", "5", "0s", "s", "5x", "-1s"}) {
    EXPECT_FALSE(parse_duration_ms(bad)) << bad;
  }
}

}  // namespace
}  // namespace arca::cgroups
