// enter_root and finish_root, and the user-namespace device fallback, each in a forked
// child with its own mount namespace (see rootfs_testing.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rootfs/rootfs.h"
#include "rootfs_testing.h"

namespace arca::rootfs {
namespace {

using testing::run_isolated;
using testing::TempDir;
using testing::write_file;

bool write_fails_with(const std::string& path, int err) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) close(fd);
  return fd < 0 && errno == err;
}

class RootfsPivot : public ::testing::Test {
 protected:
  void SetUp() override {
    ROOTFS_REQUIRE_ROOT();
    launch_.rootfs = rootfs_.path();
    write_file(rootfs_ / "marker", "inside");
    plan::DeviceNode null;
    null.path = "/dev/null";
    null.type = S_IFCHR;
    null.major = 1;
    null.minor = 3;
    launch_.devices = {null};
  }
  // prepare_root .. enter_root; "" or the rendered error.
  std::string enter(bool no_pivot) {
    auto st = prepare_root(launch_);
    if (st.ok()) st = mount_all(launch_);
    if (st.ok()) st = create_devices(launch_);
    if (st.ok()) st = enter_root(launch_, no_pivot);
    return st.ok() ? "" : st.error().render();
  }
  std::string check_inside() {
    char cwd[64] = {};
    if (getcwd(cwd, sizeof(cwd)) == nullptr || std::string(cwd) != "/") return "cwd not /";
    if (access("/marker", F_OK) != 0) return "not in the rootfs";
    if (access(rootfs_.path().c_str(), F_OK) == 0) return "host tree still visible";
    return "";
  }
  TempDir rootfs_{"arca-rootfs"};
  plan::Launch launch_;
};

TEST_F(RootfsPivot, PivotsIntoRootfs) {
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = enter(false); !err.empty()) return err;
              return check_inside();
            }),
            "");
}

TEST_F(RootfsPivot, NoPivotMovesAndChroots) {
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = enter(true); !err.empty()) return err;
              return check_inside();
            }),
            "");
}

TEST_F(RootfsPivot, SharedRootfsPropagationStillPivots) {
  launch_.rootfs_propagation = MS_SHARED | MS_REC;
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = enter(false); !err.empty()) return err;
              auto st = finish_root(launch_);
              if (!st.ok()) return st.error().render();
              return check_inside();
            }),
            "");
}

TEST_F(RootfsPivot, FinishMasksAndMakesReadOnly) {
  write_file(rootfs_ / "secret", "password");
  ASSERT_EQ(mkdir((rootfs_ / "secretdir").c_str(), 0755), 0);
  write_file(rootfs_ / "secretdir/key", "k");
  ASSERT_EQ(mkdir((rootfs_ / "ro").c_str(), 0755), 0);
  launch_.masked_paths = {"/secret", "/secretdir", "/does/not/exist"};
  launch_.readonly_paths = {"/ro", "/missing"};
  launch_.rootfs_readonly = true;
  EXPECT_EQ(run_isolated([&]() -> std::string {
              if (auto err = enter(false); !err.empty()) return err;
              auto st = finish_root(launch_);
              if (!st.ok()) return st.error().render();
              std::ifstream secret("/secret");
              std::string text;
              secret >> text;
              if (!text.empty()) return "masked file readable: " + text;
              if (access("/secretdir/key", F_OK) == 0) return "masked dir visible";
              if (!write_fails_with("/ro/x", EROFS)) return "readonly path writable";
              if (!write_fails_with("/newfile", EROFS)) return "root writable";
              return "";
            }),
            "");
}

TEST_F(RootfsPivot, DeviceBindFallbackInUserNamespace) {
  EXPECT_EQ(run_isolated(
                [&]() -> std::string {
                  launch_.new_user_ns = true;
                  auto st = prepare_root(launch_);
                  if (st.ok()) st = create_devices(launch_);
                  if (!st.ok()) return st.error().render();
                  struct stat sb = {};
                  if (stat((rootfs_ / "dev/null").c_str(), &sb) < 0) return "no /dev/null";
                  if (!S_ISCHR(sb.st_mode) || sb.st_rdev != makedev(1, 3)) return "not bound";
                  return "";
                },
                /*user_ns=*/true),
            "");
}

TEST_F(RootfsPivot, BindKeepsLockedFlagsInUserNamespace) {
  plan::MountStep bind;
  bind.source = "/proc";  // nosuid,nodev,noexec on the host: locked in a user namespace
  bind.fstype = "bind";
  bind.destination = "/hostproc";
  bind.bind = true;
  bind.flags = MS_BIND;
  bind.clear_flags = MS_NOSUID | MS_NODEV;  // "suid", "dev"
  launch_.mounts = {bind};
  EXPECT_EQ(run_isolated(
                [&]() -> std::string {
                  launch_.new_user_ns = true;
                  auto st = prepare_root(launch_);
                  if (st.ok()) st = mount_all(launch_);
                  if (!st.ok()) return st.error().render();
                  return access((rootfs_ / "hostproc/self").c_str(), F_OK) == 0 ? "" : "not bound";
                },
                /*user_ns=*/true),
            "");
}

}  // namespace
}  // namespace arca::rootfs
