// mount_all in a forked child with its own mount namespace (see rootfs_testing.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "rootfs/rootfs.h"
#include "rootfs_testing.h"

namespace arca::rootfs {
namespace {

using testing::is_empty_dir;
using testing::run_isolated;
using testing::TempDir;
using testing::write_file;

plan::MountStep tmpfs_at(const std::string& dest, const std::string& data = "") {
  plan::MountStep m;
  m.source = "tmpfs";
  m.fstype = "tmpfs";
  m.destination = dest;
  m.data = data;
  return m;
}

plan::MountStep bind_of(const std::string& src, const std::string& dest, unsigned long flags) {
  plan::MountStep m;
  m.source = src;
  m.fstype = "bind";
  m.destination = dest;
  m.bind = true;
  m.flags = MS_BIND | flags;
  return m;
}

// prepare_root + mount_all; "" or the rendered error.
std::string mount_in(plan::Launch& launch) {
  auto st = prepare_root(launch);
  if (st.ok()) st = mount_all(launch);
  return st.ok() ? "" : st.error().render();
}

bool is_fs(const std::string& path, long magic) {
  struct statfs st = {};
  return statfs(path.c_str(), &st) == 0 && st.f_type == magic;
}

class RootfsMounts : public ::testing::Test {
 protected:
  void SetUp() override {
    ROOTFS_REQUIRE_ROOT();
    launch_.rootfs = rootfs_.path();
  }
  TempDir rootfs_{"arca-rootfs"};
  TempDir host_{"arca-host"};
  plan::Launch launch_;
};

TEST_F(RootfsMounts, TmpfsThroughAbsoluteSymlinkLandsInRoot) {
  ASSERT_EQ(symlink(host_.path().c_str(), (rootfs_ / "evil").c_str()), 0);
  launch_.mounts = {tmpfs_at("/evil/mnt")};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              if (!is_empty_dir(host_.path())) return "host dir touched";
              if (!is_fs(rootfs_.path() + host_.path() + "/mnt", TMPFS_MAGIC)) {
                return "tmpfs not inside the rootfs";
              }
              return "";
            }),
            "");
  EXPECT_TRUE(is_empty_dir(host_.path()));
}

TEST_F(RootfsMounts, BindThroughDotDotSymlinkLandsInRoot) {
  TempDir src{"arca-src"};
  write_file(src / "f", "x");
  ASSERT_EQ(mkdir((rootfs_ / "a").c_str(), 0755), 0);
  ASSERT_EQ(symlink(("../../../../../.." + host_.path()).c_str(), (rootfs_ / "a/up").c_str()), 0);
  launch_.mounts = {bind_of(src.path(), "/a/up/data", 0)};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              if (!is_empty_dir(host_.path())) return "host dir touched";
              if (access((rootfs_.path() + host_.path() + "/data/f").c_str(), F_OK) != 0) {
                return "bind not inside the rootfs";
              }
              return "";
            }),
            "");
}

TEST_F(RootfsMounts, ReadOnlyBindIsReadOnly) {
  TempDir src{"arca-src"};
  write_file(src / "f", "x");
  launch_.mounts = {bind_of(src.path(), "/data", MS_RDONLY | MS_REC)};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              int fd = open((rootfs_ / "data/f").c_str(), O_WRONLY);
              if (fd >= 0 || errno != EROFS) return "write open did not fail with EROFS";
              // The source itself stays writable.
              fd = open((src / "f").c_str(), O_WRONLY);
              if (fd < 0) return "source became read-only";
              close(fd);
              return "";
            }),
            "");
}

TEST_F(RootfsMounts, BindOfFileCreatesFileMountPoint) {
  TempDir src{"arca-src"};
  write_file(src / "hosts", "127.0.0.1 x\n");
  launch_.mounts = {bind_of(src / "hosts", "/etc/hosts", 0)};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              std::ifstream in(rootfs_ / "etc/hosts");
              std::string line;
              std::getline(in, line);
              return line == "127.0.0.1 x" ? "" : "unexpected content: " + line;
            }),
            "");
}

TEST_F(RootfsMounts, TmpfsOptionsAreApplied) {
  launch_.mounts = {tmpfs_at("/run", "mode=1777,size=1m")};
  launch_.mounts[0].flags = MS_NOSUID | MS_NODEV;
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              struct statfs sf = {};
              struct stat st = {};
              if (statfs((rootfs_ / "run").c_str(), &sf) < 0) return "statfs failed";
              if (stat((rootfs_ / "run").c_str(), &st) < 0) return "stat failed";
              if (sf.f_type != TMPFS_MAGIC) return "not a tmpfs";
              if (sf.f_blocks * sf.f_bsize != 1 << 20) return "size not applied";
              if ((st.st_mode & 07777) != 01777) return "mode not applied";
              if (!(sf.f_flags & ST_NOSUID) || !(sf.f_flags & ST_NODEV)) return "flags lost";
              return "";
            }),
            "");
}

TEST_F(RootfsMounts, BadOptionNamesTheMount) {
  launch_.mounts = {tmpfs_at("/run", "size=bogus")};
  std::string err = run_isolated([&] { return mount_in(launch_); });
  EXPECT_NE(err.find("mount \"tmpfs\" on \"/run\""), std::string::npos) << err;
  EXPECT_NE(err.find("size"), std::string::npos) << err;
}

TEST_F(RootfsMounts, TmpCopyUpKeepsContents) {
  ASSERT_EQ(mkdir((rootfs_ / "data").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((rootfs_ / "data/sub").c_str(), 0700), 0);
  write_file(rootfs_ / "data/sub/file", "hello");
  ASSERT_EQ(chmod((rootfs_ / "data/sub/file").c_str(), 0640), 0);
  ASSERT_EQ(chown((rootfs_ / "data/sub/file").c_str(), 123, 456), 0);
  ASSERT_EQ(symlink("sub/file", (rootfs_ / "data/link").c_str()), 0);
  launch_.mounts = {tmpfs_at("/data")};
  launch_.mounts[0].tmpcopyup = true;
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              if (!is_fs(rootfs_ / "data", TMPFS_MAGIC)) return "not a tmpfs";
              struct stat st = {};
              if (stat((rootfs_ / "data/link").c_str(), &st) < 0) return "link lost";
              if ((st.st_mode & 07777) != 0640) return "mode lost";
              if (st.st_uid != 123 || st.st_gid != 456) return "owner lost";
              std::ifstream in(rootfs_ / "data/sub/file");
              std::string text;
              in >> text;
              return text == "hello" ? "" : "content lost";
            }),
            "");
}

TEST_F(RootfsMounts, PropagationIsApplied) {
  launch_.mounts = {tmpfs_at("/shared")};
  launch_.mounts[0].propagation = {MS_SHARED};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              std::ifstream in("/proc/self/mountinfo");
              std::string line;
              while (std::getline(in, line)) {
                if (line.find(rootfs_ / "shared") != std::string::npos) {
                  return line.find("shared:") != std::string::npos ? "" : "not shared: " + line;
                }
              }
              return "mount not found";
            }),
            "");
}

TEST_F(RootfsMounts, ProcAndCgroup) {
  plan::MountStep proc;
  proc.source = "proc";
  proc.fstype = "proc";
  proc.destination = "/proc";
  plan::MountStep cgroup;
  cgroup.source = "cgroup";
  cgroup.fstype = "cgroup";
  cgroup.destination = "/sys/fs/cgroup";
  cgroup.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  launch_.mounts = {proc, cgroup};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = mount_in(launch_); !err.empty()) return err;
              if (!is_fs(rootfs_ / "proc", PROC_SUPER_MAGIC)) return "no procfs";
              struct statfs sf = {};
              if (statfs((rootfs_ / "sys/fs/cgroup").c_str(), &sf) < 0) return "no cgroup";
              if (!(sf.f_flags & ST_RDONLY)) return "cgroup mount not read-only";
              return "";
            }),
            "");
}

}  // namespace
}  // namespace arca::rootfs
