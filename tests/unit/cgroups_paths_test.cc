#include <gtest/gtest.h>

#include "cgroups/paths.h"

namespace arca::cgroups {
namespace {

// Captured on the development host (Debian 12, hybrid): `cat /proc/self/cgroup` and the
// cgroup lines of /proc/self/mountinfo (plus one unrelated line).
constexpr const char kHybridProcCgroup[] = R"(9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/87ababaf7ec64eca8b2fd85b91366c5a
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
)";
constexpr const char kHybridMountinfo[] =
    R"(22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";

// A systemd v2 host.
constexpr const char kV2ProcCgroup[] = "0::/user.slice/user-1000.slice/session-2.scope\n";
constexpr const char kV2Mountinfo[] =
    "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// A pure v1 host with co-mounted cpu,cpuacct, optional fields and a mount inside a
// container whose root is not the hierarchy root.
constexpr const char kV1ProcCgroup[] = R"(3:cpu,cpuacct:/docker/abc
2:memory:/docker/abc
1:name=systemd:/docker/abc
)";
constexpr const char kV1Mountinfo[] =
    R"(40 31 0:35 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct
41 31 0:36 /docker/abc /sys/fs/cgroup/memory rw master:3 - cgroup cgroup rw,memory
42 31 0:37 / /sys/fs/cgroup/sys\040temd rw - cgroup cgroup rw,xattr,name=systemd
)";

TEST(CgroupPaths, ParseProcCgroup) {
  auto lines = parse_proc_cgroup(kHybridProcCgroup);
  ASSERT_TRUE(lines) << lines.error().render();
  ASSERT_EQ(lines->size(), 10u);
  EXPECT_EQ((*lines)[0].id, 9);
  EXPECT_EQ((*lines)[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ((*lines)[5].path, "/process_api/87ababaf7ec64eca8b2fd85b91366c5a");
  EXPECT_TRUE((*lines)[9].controllers.empty());
  EXPECT_EQ((*lines)[9].path, "/");
  auto v1 = parse_proc_cgroup(kV1ProcCgroup);
  ASSERT_TRUE(v1);
  EXPECT_EQ((*v1)[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
}

TEST(CgroupPaths, ParseProcCgroupErrors) {
  auto bad = parse_proc_cgroup("1:cpu:/\ngarbage\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().render(), "/proc/self/cgroup: line 2: malformed \"garbage\"");
  EXPECT_FALSE(parse_proc_cgroup("x:cpu:/\n"));
  EXPECT_FALSE(parse_proc_cgroup("1:cpu:relative\n"));
}

TEST(CgroupPaths, ParseMountinfo) {
  auto mounts = parse_cgroup_mounts(kHybridMountinfo);
  ASSERT_TRUE(mounts) << mounts.error().render();
  ASSERT_EQ(mounts->size(), 10u);  // overlay and tmpfs skipped
  EXPECT_EQ((*mounts)[0].mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ((*mounts)[0].options, (std::vector<std::string>{"rw", "cpu"}));
  EXPECT_FALSE((*mounts)[0].v2);
  EXPECT_TRUE((*mounts)[9].v2);
  auto v1 = parse_cgroup_mounts(kV1Mountinfo);
  ASSERT_TRUE(v1);
  EXPECT_EQ((*v1)[1].root, "/docker/abc");
  EXPECT_EQ((*v1)[2].mount_point, "/sys/fs/cgroup/sys temd");  // \040 decoded
  auto bad = parse_cgroup_mounts("1 2 3\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().render(), "/proc/self/mountinfo: line 1: malformed");
}

TEST(CgroupPaths, HybridHost) {
  auto host = host_cgroups(kHybridProcCgroup, kHybridMountinfo);
  ASSERT_TRUE(host) << host.error().render();
  EXPECT_EQ(host->mode, Mode::kHybrid);
  EXPECT_STREQ(mode_name(host->mode), "hybrid");
  ASSERT_EQ(host->v1.size(), 9u);
  const Hierarchy* memory = host->find("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(memory->own_path, "/process_api/87ababaf7ec64eca8b2fd85b91366c5a");
  const Hierarchy* pids = host->find("pids");
  ASSERT_NE(pids, nullptr);
  EXPECT_EQ(pids->own_path, "/");
  ASSERT_NE(host->find("name=systemd"), nullptr);
  EXPECT_EQ(host->find("hugetlb"), nullptr);
  ASSERT_TRUE(host->unified);
  EXPECT_EQ(host->unified->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(host->unified->v2);
}

TEST(CgroupPaths, V2Host) {
  auto host = host_cgroups(kV2ProcCgroup, kV2Mountinfo);
  ASSERT_TRUE(host) << host.error().render();
  EXPECT_EQ(host->mode, Mode::kV2);
  EXPECT_TRUE(host->v1.empty());
  ASSERT_TRUE(host->unified);
  EXPECT_EQ(host->unified->mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(host->unified->own_path, "/user.slice/user-1000.slice/session-2.scope");
}

TEST(CgroupPaths, V1HostWithMountRoots) {
  auto host = host_cgroups(kV1ProcCgroup, kV1Mountinfo);
  ASSERT_TRUE(host) << host.error().render();
  EXPECT_EQ(host->mode, Mode::kV1);
  EXPECT_FALSE(host->unified);
  const Hierarchy* cpu = host->find("cpuacct");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(cpu->own_path, "/docker/abc");
  // The memory mount's root is the caller's cgroup: the caller sits at the mount point.
  EXPECT_EQ(host->find("memory")->own_path, "/");
}

TEST(CgroupPaths, NoHierarchies) {
  auto host = host_cgroups("0::/\n", "1 0 0:1 / / rw - ext4 /dev/sda rw\n");
  ASSERT_FALSE(host);
  EXPECT_EQ(host.error().render(), "no cgroup hierarchy is mounted (see /proc/self/mountinfo)");
}

CgroupsPath parse_ok(const std::string& path, bool systemd = false) {
  auto p = parse_cgroups_path(path, "c1", systemd, true);
  EXPECT_TRUE(p) << p.error().render();
  return p ? *p : CgroupsPath{};
}

TEST(CgroupPaths, ResolveOnThisHost) {
  auto host = host_cgroups(kHybridProcCgroup, kHybridMountinfo);
  ASSERT_TRUE(host);
  const Hierarchy& memory = *host->find("memory");
  const Hierarchy& pids = *host->find("pids");
  // Absent: the id below the caller's own cgroup.
  CgroupsPath absent = parse_ok("");
  EXPECT_EQ(absent.kind, CgroupsPath::Kind::kRelative);
  EXPECT_EQ(resolve(absent, memory), "/process_api/87ababaf7ec64eca8b2fd85b91366c5a/c1");
  EXPECT_EQ(resolve(absent, pids), "/c1");
  // Relative: nested below the caller's own cgroup.
  CgroupsPath relative = parse_ok("foo/bar/");
  EXPECT_EQ(resolve(relative, memory), "/process_api/87ababaf7ec64eca8b2fd85b91366c5a/foo/bar");
  EXPECT_EQ(resolve(relative, pids), "/foo/bar");
  // Absolute: from each hierarchy's root.
  CgroupsPath absolute = parse_ok("/foo//bar");
  EXPECT_EQ(absolute.kind, CgroupsPath::Kind::kAbsolute);
  EXPECT_EQ(resolve(absolute, memory), "/foo/bar");
  EXPECT_EQ(resolve(absolute, pids), "/foo/bar");
}

TEST(CgroupPaths, RejectsBadPaths) {
  auto up = parse_cgroups_path("/foo/../bar", "c1", false, false);
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().render(), "linux.cgroupsPath \"/foo/../bar\": must not contain \"..\"");
  EXPECT_FALSE(parse_cgroups_path("..", "c1", false, false));
  auto root = parse_cgroups_path("/", "c1", false, false);
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().render(), "linux.cgroupsPath \"/\": must not be a hierarchy root");
  auto colon = parse_cgroups_path("system.slice:arca:c1", "c1", false, false);
  ASSERT_FALSE(colon);
  EXPECT_NE(colon.error().render().find("use --systemd-cgroup"), std::string::npos);
}

TEST(CgroupPaths, Systemd) {
  auto off = parse_cgroups_path("system.slice:arca:c1", "c1", true, false);
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().render(), "--systemd-cgroup: systemd is not running as PID 1");
  CgroupsPath p = parse_ok("machine.slice:docker:abc", true);
  EXPECT_EQ(p.kind, CgroupsPath::Kind::kSystemd);
  EXPECT_EQ(p.slice, "machine.slice");
  EXPECT_EQ(p.prefix, "docker");
  EXPECT_EQ(p.name, "abc");
  Hierarchy h;
  EXPECT_EQ(resolve(p, h), "/machine.slice/docker-abc.scope");
  CgroupsPath defaults = parse_ok("", true);
  EXPECT_EQ(defaults.slice, "system.slice");
  EXPECT_EQ(resolve(defaults, h), "/system.slice/arca-c1.scope");
  EXPECT_EQ(resolve(parse_ok(":p:n", true), h), "/system.slice/p-n.scope");
  EXPECT_EQ(resolve(parse_ok("a-b.slice::x.slice", true), h), "/a.slice/a-b.slice/x.slice");
  auto bad = parse_cgroups_path("/foo/bar", "c1", true, true);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().render().find("must be \"slice:prefix:name\""), std::string::npos);
  auto bad_slice = parse_cgroups_path("foo:p:n", "c1", true, true);
  ASSERT_FALSE(bad_slice);
  EXPECT_EQ(bad_slice.error().render(), "invalid systemd slice name \"foo\"");
}

TEST(CgroupPaths, SystemdUnitPath) {
  EXPECT_EQ(*systemd_unit_path("-.slice", "x.scope"), "/x.scope");
  EXPECT_EQ(*systemd_unit_path("a-b-c.slice", "x.scope"), "/a.slice/a-b.slice/a-b-c.slice/x.scope");
  EXPECT_FALSE(systemd_unit_path("a--b.slice", "x.scope"));
  EXPECT_FALSE(systemd_unit_path("-a.slice", "x.scope"));
  EXPECT_FALSE(systemd_unit_path("a/b.slice", "x.scope"));
}

TEST(CgroupPaths, JoinPath) {
  EXPECT_EQ(join_path("/", "x"), "/x");
  EXPECT_EQ(join_path("/a/", "/b//c/"), "/a/b/c");
  EXPECT_EQ(join_path("", ""), "/");
  EXPECT_EQ(join_path("./a", "."), "/a");
}

}  // namespace
}  // namespace arca::cgroups
