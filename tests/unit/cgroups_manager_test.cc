// The backends against plain directory trees imitating cgroupfs, and one real v1 pids
// cgroup (root only) below the test's own.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cgroups/manager.h"

namespace arca::cgroups {
namespace {

using nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& value) { std::ofstream(path) << value; }

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Resources resources(const char* text) {
  auto r = parse_resources(json::parse(text));
  EXPECT_TRUE(r) << r.error().render();
  return r ? *r : Resources{};
}

class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arca-cgroups-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + root_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  // A cgroup directory holding `files` (name -> content), parents created as needed.
  void cgroup(const std::string& dir, const std::map<std::string, std::string>& files) {
    std::string cmd = "mkdir -p '" + root_ + dir + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    write_file(root_ + dir + "/cgroup.procs", "");
    for (const auto& [name, value] : files) write_file(root_ + dir + "/" + name, value);
  }
  std::unique_ptr<Manager> manager(const char* proc, const char* mountinfo,
                                   const std::string& path) {
    auto host = host_cgroups(proc, mountinfo);
    EXPECT_TRUE(host) << host.error().render();
    auto p = parse_cgroups_path(path, "c1", false, false);
    EXPECT_TRUE(p) << p.error().render();
    auto m = make_manager(*host, *p, ManagerOptions{root_, true});
    EXPECT_TRUE(m) << m.error().render();
    return m ? std::move(m).value() : nullptr;
  }
  std::string root_;
};

constexpr const char kV1Proc[] = R"(6:pids:/
5:freezer:/
4:memory:/process_api/abc
3:cpuset:/
2:blkio:/
1:cpu,cpuacct:/
0::/
)";
constexpr const char kV1Mounts[] =
    R"(32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
)";

class CgroupV1Tree : public CgroupTree {
 protected:
  void SetUp() override {
    CgroupTree::SetUp();
    const std::string fs = "/sys/fs/cgroup";
    cgroup(fs + "/cpu,cpuacct", {{"cpu.shares", "1024"}, {"cpu.cfs_quota_us", "-1"}});
    cgroup(fs + "/cpuset", {{"cpuset.cpus", "0-3\n"}, {"cpuset.mems", "0\n"}});
    cgroup(fs + "/memory/process_api/abc",
           {{"memory.limit_in_bytes", ""}, {"memory.soft_limit_in_bytes", ""}});
    cgroup(fs + "/freezer", {{"freezer.state", "THAWED\n"}});
    cgroup(fs + "/blkio", {{"blkio.bfq.weight", "100"}});
    cgroup(fs + "/pids", {{"pids.max", "max"}});
    cgroup(fs + "/unified", {{"cgroup.controllers", ""}});
  }
  std::string dir(const std::string& hierarchy, const std::string& path) {
    return root_ + "/sys/fs/cgroup/" + hierarchy + path;
  }
};

TEST_F(CgroupV1Tree, CreateApplyJoinDestroy) {
  auto m = manager(kV1Proc, kV1Mounts, "");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mode(), Mode::kHybrid);
  ASSERT_TRUE(m->create());
  ASSERT_TRUE(m->create());  // idempotent
  const std::string memory = dir("memory", "/process_api/abc/c1");
  EXPECT_TRUE(exists(memory + "/memory.limit_in_bytes"));
  EXPECT_TRUE(exists(dir("unified", "/c1")));
  // A new cpuset cgroup gets its parent's cpus and mems.
  EXPECT_EQ(read_file(dir("cpuset", "/c1/cpuset.cpus")), "0-3");
  EXPECT_EQ(read_file(dir("cpuset", "/c1/cpuset.mems")), "0");

  // memsw is unlimited along with memory but absent here (no swap accounting): skipped.
  Status s = m->apply(resources(R"({"pids": {"limit": 15}, "memory": {"limit": -1,
      "reservation": 1000, "kernel": 5}, "cpu": {"shares": 512, "quota": -1, "cpus": "1"},
      "blockIO": {"weight": 300}})"));
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(read_file(dir("pids", "/c1/pids.max")), "15");
  EXPECT_EQ(read_file(memory + "/memory.limit_in_bytes"), "-1");
  EXPECT_EQ(read_file(memory + "/memory.soft_limit_in_bytes"), "1000");
  EXPECT_EQ(read_file(dir("cpu,cpuacct", "/c1/cpu.shares")), "512");
  EXPECT_EQ(read_file(dir("cpu,cpuacct", "/c1/cpu.cfs_quota_us")), "-1");
  EXPECT_EQ(read_file(dir("cpuset", "/c1/cpuset.cpus")), "1");
  EXPECT_EQ(read_file(dir("blkio", "/c1/blkio.bfq.weight")), "300");  // the BFQ twin

  ASSERT_TRUE(m->add_process(4242));
  EXPECT_EQ(read_file(dir("pids", "/c1/cgroup.procs")), "4242");
  EXPECT_EQ(read_file(memory + "/cgroup.procs"), "4242");
  EXPECT_EQ(read_file(dir("unified", "/c1/cgroup.procs")), "4242");
  auto pids = m->pids();
  ASSERT_TRUE(pids) << pids.error().render();
  EXPECT_EQ(*pids, std::vector<pid_t>{4242});

  ASSERT_TRUE(m->freeze(true));
  EXPECT_EQ(read_file(dir("freezer", "/c1/freezer.state")), "FROZEN");
  ASSERT_TRUE(m->freeze(false));
  EXPECT_EQ(read_file(dir("freezer", "/c1/freezer.state")), "THAWED");

  EXPECT_EQ(m->path_for_ns(), "/c1");
  auto paths = m->paths();
  EXPECT_EQ(paths.at("memory"), memory);
  EXPECT_EQ(paths.at("cpuacct"), dir("cpu,cpuacct", "/c1"));
  EXPECT_EQ(paths.at(""), dir("unified", "/c1"));
  EXPECT_FALSE(m->open_v2_dir());

  ASSERT_TRUE(m->destroy());
  EXPECT_FALSE(exists(memory));
  EXPECT_FALSE(exists(dir("pids", "/c1")));
  EXPECT_FALSE(exists(dir("unified", "/c1")));
  EXPECT_TRUE(exists(dir("memory", "/process_api/abc/memory.limit_in_bytes")));
  EXPECT_TRUE(m->destroy());  // already gone is fine
}

TEST_F(CgroupV1Tree, PidsIncludeSubCgroupsAndDestroyIsBottomUp) {
  auto m = manager(kV1Proc, kV1Mounts, "/outer/c1");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create());
  EXPECT_EQ(read_file(dir("cpuset", "/outer/cpuset.cpus")), "0-3");  // each level
  cgroup("/sys/fs/cgroup/pids/outer/c1/sub", {});
  cgroup("/sys/fs/cgroup/pids/outer/c1/sub/deeper", {});
  write_file(dir("pids", "/outer/c1/cgroup.procs"), "7\n3\n");
  write_file(dir("pids", "/outer/c1/sub/deeper/cgroup.procs"), "5\n3\n");
  auto pids = m->pids();
  ASSERT_TRUE(pids);
  EXPECT_EQ(*pids, (std::vector<pid_t>{3, 5, 7}));
  ASSERT_TRUE(m->destroy());
  EXPECT_FALSE(exists(dir("pids", "/outer/c1")));
  EXPECT_TRUE(exists(dir("pids", "/outer")));  // only the container's cgroup goes
}

TEST_F(CgroupV1Tree, ApplyErrors) {
  auto m = manager(kV1Proc, kV1Mounts, "c1");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create());
  Status s = m->apply(resources(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render(),
            "cgroup v1 controller \"hugetlb\" is not mounted (needed for "
            "hugetlb.2MB.limit_in_bytes)");
  s = m->apply(resources(R"({"memory": {"swappiness": 10}})"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().render().find("/memory.swappiness\" does not exist"), std::string::npos);
  s = m->apply(resources(R"({"memory": {"limit": 1000, "swap": 2000}})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(
      s.error().render().rfind("/linux/resources/memory/swap: the kernel does not account", 0), 0u);
  s = m->apply(resources(R"({"unified": {"memory.high": "1"}})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render(), "/linux/resources/unified: requires cgroup v2");
  EXPECT_TRUE(m->destroy());
}

TEST_F(CgroupV1Tree, DefaultDeviceRulesNeedNoDevicesHierarchy) {
  // No devices hierarchy here (a jail that mounts only some): rules the config did not ask
  // for are skipped; asked-for ones are an error naming the controller.
  auto m = manager(kV1Proc, kV1Mounts, "c1");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create());
  Resources r = resources(R"({"devices": [{"allow": true, "type": "c", "major": 1,
      "minor": 3, "access": "rwm"}]})");
  Status s = m->apply(r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render(),
            "cgroup v1 controller \"devices\" is not mounted (needed for devices.deny)");
  r.devices_best_effort = true;
  s = m->apply(r);
  EXPECT_TRUE(s) << s.error().render();
  EXPECT_TRUE(m->destroy());
}

TEST_F(CgroupV1Tree, HybridHugetlbGoesToTheUnifiedHierarchy) {
  // This host's layout: hugetlb bound to cgroup2 (unified/), not to a v1 hierarchy.
  write_file(dir("unified", "/cgroup.controllers"), "hugetlb");
  write_file(dir("unified", "/cgroup.subtree_control"), "");
  write_file(dir("unified", "/hugetlb.2MB.max"), "max");
  auto m = manager(kV1Proc, kV1Mounts, "/outer/c1");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create());
  // Nothing asked of hugetlb: the cgroup2 tree's controllers stay as they were.
  ASSERT_TRUE(m->apply(resources(R"({"pids": {"limit": 15}})")));
  EXPECT_EQ(read_file(dir("unified", "/cgroup.subtree_control")), "");
  Status s = m->apply(resources(R"({"pids": {"limit": 16},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]})"));
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(read_file(dir("pids", "/outer/c1/pids.max")), "16");
  EXPECT_EQ(read_file(dir("unified", "/cgroup.subtree_control")), "hugetlb");
  EXPECT_EQ(read_file(dir("unified", "/outer/cgroup.subtree_control")), "hugetlb");
  EXPECT_EQ(read_file(dir("unified", "/outer/c1/hugetlb.2MB.max")), "2097152");
  EXPECT_EQ(read_file(dir("unified", "/outer/c1/cgroup.subtree_control")), "");  // the leaf
  EXPECT_TRUE(m->destroy());
}

constexpr const char kV2Proc[] = "0::/user.slice\n";
constexpr const char kV2Mounts[] =
    "30 24 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

class CgroupV2Tree : public CgroupTree {
 protected:
  void SetUp() override {
    CgroupTree::SetUp();
    std::map<std::string, std::string> files = {{"cgroup.subtree_control", ""},
                                                {"memory.max", "max"},
                                                {"memory.swap.max", "max"},
                                                {"memory.low", "0"},
                                                {"cpu.weight", "100"},
                                                {"cpu.max", "max 100000"},
                                                {"pids.max", "max"},
                                                {"cgroup.freeze", "0"},
                                                {"cgroup.max.depth", "max"},
                                                {"memory.high", "max"},
                                                {"cpuset.cpus", ""},
                                                {"io.max", ""}};
    files["cgroup.controllers"] = "cpuset cpu io memory pids";
    cgroup("/sys/fs/cgroup", files);
    files["cgroup.controllers"] = "";  // filled from the root's subtree_control on create
    cgroup("/sys/fs/cgroup/user.slice", files);
  }
  std::string dir(const std::string& path) { return root_ + "/sys/fs/cgroup" + path; }
};

TEST_F(CgroupV2Tree, CreateEnablesControllersAlongThePath) {
  auto m = manager(kV2Proc, kV2Mounts, "");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->mode(), Mode::kV2);
  // The own cgroup offers what the root delegates.
  write_file(dir("/cgroup.subtree_control"), "cpu memory pids");
  write_file(dir("/user.slice/cgroup.controllers"), "cpu memory pids");
  Status s = m->create();
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(read_file(dir("/cgroup.subtree_control")), "cpu cpuset io memory pids");
  EXPECT_EQ(read_file(dir("/user.slice/cgroup.subtree_control")), "cpu memory pids");
  EXPECT_EQ(read_file(dir("/user.slice/c1/cgroup.controllers")), "cpu memory pids");
  EXPECT_EQ(read_file(dir("/user.slice/c1/cgroup.subtree_control")), "");  // leaf untouched

  s = m->apply(resources(R"({"memory": {"limit": 1000, "swap": 3000, "reservation": 10},
      "cpu": {"shares": 1024, "quota": 20000}, "pids": {"limit": -1},
      "unified": {"memory.high": "900", "cgroup.max.depth": "2"}})"));
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(read_file(dir("/user.slice/c1/memory.max")), "1000");
  EXPECT_EQ(read_file(dir("/user.slice/c1/memory.swap.max")), "2000");
  EXPECT_EQ(read_file(dir("/user.slice/c1/memory.low")), "10");
  EXPECT_EQ(read_file(dir("/user.slice/c1/cpu.weight")), "39");
  EXPECT_EQ(read_file(dir("/user.slice/c1/cpu.max")), "20000 100000");
  EXPECT_EQ(read_file(dir("/user.slice/c1/pids.max")), "max");
  EXPECT_EQ(read_file(dir("/user.slice/c1/memory.high")), "900");
  EXPECT_EQ(read_file(dir("/user.slice/c1/cgroup.max.depth")), "2");

  ASSERT_TRUE(m->add_process(99));
  EXPECT_EQ(read_file(dir("/user.slice/c1/cgroup.procs")), "99");
  EXPECT_EQ(*m->pids(), std::vector<pid_t>{99});
  ASSERT_TRUE(m->freeze(true));
  EXPECT_EQ(read_file(dir("/user.slice/c1/cgroup.freeze")), "1");
  EXPECT_EQ(m->path_for_ns(), "/user.slice/c1");
  EXPECT_EQ(m->paths().at(""), dir("/user.slice/c1"));
  auto fd = m->open_v2_dir();
  ASSERT_TRUE(fd) << fd.error().render();
  EXPECT_TRUE(fd->valid());

  ASSERT_TRUE(m->destroy());
  EXPECT_FALSE(exists(dir("/user.slice/c1")));
  EXPECT_TRUE(exists(dir("/user.slice/memory.max")));
}

TEST_F(CgroupV2Tree, ApplyErrors) {
  write_file(dir("/cgroup.controllers"), "memory pids");
  auto m = manager(kV2Proc, kV2Mounts, "/abs/c1");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create());
  EXPECT_TRUE(exists(dir("/abs/c1/memory.max")));
  EXPECT_EQ(read_file(dir("/abs/c1/cgroup.controllers")), "memory pids");
  Status s = m->apply(resources(R"({"cpu": {"shares": 100}})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render(), "cgroup v2 controller \"cpu\" is not available in \"" +
                                    dir("/abs/c1") + "\" (needed for cpu.weight)");
  s = m->apply(resources(R"({"unified": {"memory.nonsense": "1"}})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render().rfind(
                "cgroup v2: linux.resources.unified \"memory.nonsense\": no such file in", 0),
            0u);
  s = m->apply(resources(R"({"cpu": {"realtimePeriod": 1000}})"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().render(), "/linux/resources/cpu/realtimePeriod: requires cgroup v1");
  ASSERT_TRUE(m->destroy());
  EXPECT_FALSE(exists(dir("/abs/c1")));
}

TEST(CgroupManager, SystemdDriverMakesAScope) {
  HostCgroups host;
  host.mode = Mode::kV1;
  CgroupsPath path;
  path.kind = CgroupsPath::Kind::kSystemd;
  path.slice = "system.slice";
  path.prefix = "arca";
  path.name = "c1";
  auto m = make_manager(host, path);  // no D-Bus until create()
  ASSERT_TRUE(m) << m.error().render();
  EXPECT_EQ((*m)->unit(), "arca-c1.scope");
  path.name = "x.slice";
  auto slice = make_manager(host, path);
  ASSERT_FALSE(slice);
  EXPECT_EQ(slice.error().render(),
            "--systemd-cgroup: a slice (\"x.slice\") as the container's unit is not supported, "
            "only scopes");
}

TEST(CgroupManager, OpenManagerOnThisHost) {
  auto m = open_manager("", "arca-unit-never-created", false);
  ASSERT_TRUE(m) << m.error().render();  // nothing is created by opening
  auto paths = (*m)->paths();
  EXPECT_FALSE(paths.empty());
  for (const auto& [controller, path] : paths) EXPECT_FALSE(exists(path)) << path;
}

// A real v1 pids cgroup below the test's own pids cgroup: create, limit, read back, remove.
TEST(CgroupReal, V1PidsBelowOwnCgroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto host = host_cgroups(read_file("/proc/self/cgroup"), read_file("/proc/self/mountinfo"));
  ASSERT_TRUE(host) << host.error().render();
  const Hierarchy* pids = host->find("pids");
  if (host->mode == Mode::kV2 || pids == nullptr) GTEST_SKIP() << "no cgroup v1 pids hierarchy";
  if (::access((pids->mount_point + pids->own_path).c_str(), W_OK) != 0) {
    GTEST_SKIP() << "own pids cgroup not writable";
  }
  HostCgroups only_pids;
  only_pids.mode = Mode::kV1;
  only_pids.v1 = {*pids};
  std::string name = "arca-unit-" + std::to_string(::getpid());
  auto path = parse_cgroups_path(name, name, false, false);  // relative: below our own
  ASSERT_TRUE(path);
  auto m = make_v1_manager(only_pids, *path, {});
  const std::string dir = m->paths().at("pids");
  ASSERT_EQ(dir, join_path(pids->mount_point, join_path(pids->own_path, name)));
  Status s = m->create();
  ASSERT_TRUE(s) << s.error().render();
  s = m->apply(resources(R"({"pids": {"limit": 15}})"));
  EXPECT_TRUE(s) << s.error().render();
  EXPECT_EQ(read_file(dir + "/pids.max"), "15\n");
  auto procs = m->pids();
  ASSERT_TRUE(procs);
  EXPECT_TRUE(procs->empty());
  s = m->destroy();
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_FALSE(exists(dir));
}

}  // namespace
}  // namespace arca::cgroups
