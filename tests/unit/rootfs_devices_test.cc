// create_devices in a forked child with its own mount namespace (see rootfs_testing.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs/rootfs.h"
#include "rootfs_testing.h"

namespace arca::rootfs {
namespace {

using testing::is_empty_dir;
using testing::run_isolated;
using testing::TempDir;

plan::DeviceNode node(const std::string& path, uint32_t major, uint32_t minor, mode_t mode) {
  plan::DeviceNode n;
  n.path = path;
  n.type = S_IFCHR;
  n.major = major;
  n.minor = minor;
  n.mode = mode;
  return n;
}

class RootfsDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    ROOTFS_REQUIRE_ROOT();
    launch_.rootfs = rootfs_.path();
  }
  TempDir rootfs_{"arca-rootfs"};
  TempDir host_{"arca-host"};
  plan::Launch launch_;
};

TEST_F(RootfsDevices, NodesGetModeOwnerAndSymlinks) {
  plan::MountStep dev;
  dev.source = "tmpfs";
  dev.fstype = "tmpfs";
  dev.destination = "/dev";
  dev.data = "mode=755";
  plan::MountStep pts;
  pts.source = "devpts";
  pts.fstype = "devpts";
  pts.destination = "/dev/pts";
  pts.data = "newinstance,ptmxmode=0666";
  launch_.mounts = {dev, pts};
  launch_.dev_is_tmpfs = true;
  launch_.devices = {node("/dev/null", 1, 3, 0666), node("/dev/custom", 1, 5, 0600)};
  launch_.devices[1].uid = 1000;
  launch_.devices[1].gid = 2000;
  EXPECT_EQ(run_isolated([&]() -> std::string {
              umask(022);  // must not affect the nodes' modes
              auto st = prepare_root(launch_);
              if (st.ok()) st = mount_all(launch_);
              if (st.ok()) st = create_devices(launch_);
              if (!st.ok()) return st.error().render();
              struct stat null = {}, custom = {}, ptmx = {};
              if (stat((rootfs_ / "dev/null").c_str(), &null) < 0) return "no /dev/null";
              if (!S_ISCHR(null.st_mode) || null.st_rdev != makedev(1, 3)) return "bad null";
              if ((null.st_mode & 07777) != 0666) return "umask applied to /dev/null";
              if (stat((rootfs_ / "dev/custom").c_str(), &custom) < 0) return "no custom";
              if (custom.st_uid != 1000 || custom.st_gid != 2000) return "owner not set";
              if ((custom.st_mode & 07777) != 0600) return "mode not set";
              char link[64] = {};
              if (readlink((rootfs_ / "dev/stdout").c_str(), link, sizeof(link) - 1) < 0 ||
                  std::string(link) != "/proc/self/fd/1") {
                return "no /dev/stdout link";
              }
              if (lstat((rootfs_ / "dev/ptmx").c_str(), &ptmx) < 0 || !S_ISLNK(ptmx.st_mode)) {
                return "no /dev/ptmx link";
              }
              return "";
            }),
            "");
}

TEST_F(RootfsDevices, DevSymlinkToHostDoesNotCreateOnHost) {
  ASSERT_EQ(symlink(host_.path().c_str(), (rootfs_ / "dev").c_str()), 0);
  launch_.devices = {node("/dev/null", 1, 3, 0666)};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              auto st = prepare_root(launch_);
              if (st.ok()) st = create_devices(launch_);
              if (!st.ok()) return st.error().render();
              if (!is_empty_dir(host_.path())) return "node created on the host";
              struct stat sb = {};
              if (lstat((rootfs_.path() + host_.path() + "/null").c_str(), &sb) < 0 ||
                  !S_ISCHR(sb.st_mode)) {
                return "node not created inside the rootfs";
              }
              return "";
            }),
            "");
  EXPECT_TRUE(is_empty_dir(host_.path()));
}

TEST_F(RootfsDevices, ExistingNodeIsKept) {
  ASSERT_EQ(mkdir((rootfs_ / "dev").c_str(), 0755), 0);
  testing::write_file(rootfs_ / "dev/null", "");
  launch_.devices = {node("/dev/null", 1, 3, 0666)};
  EXPECT_EQ(run_isolated([&]() -> std::string {
              auto st = create_devices(launch_);
              return st.ok() ? "" : st.error().render();
            }),
            "");
}

}  // namespace
}  // namespace arca::rootfs
