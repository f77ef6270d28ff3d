#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs/resolve.h"
#include "rootfs_testing.h"

namespace arca::rootfs {
namespace {

using testing::is_empty_dir;
using testing::run_isolated;
using testing::TempDir;

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// make_in_root creates directories, so even these run in the sandboxed child: a
// regression resolving against the real root must not litter the test machine.
class RootfsResolve : public ::testing::Test {
 protected:
  void SetUp() override {
    ROOTFS_REQUIRE_ROOT();
    ASSERT_FALSE(rootfs_.path().empty());
    ASSERT_FALSE(host_.path().empty());
  }
  // Runs fn(root fd) isolated; "" or what went wrong.
  std::string run(const std::function<std::string(int)>& fn) {
    return run_isolated([&]() -> std::string {
      UniqueFd root(open(rootfs_.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!root.valid()) return "open rootfs failed";
      return fn(root.get());
    });
  }
  std::string make(int root, const std::string& path, Leaf leaf = Leaf::kDirectory) {
    auto fd = make_in_root(root, path, leaf);
    return fd.ok() ? "" : fd.error().render();
  }
  TempDir rootfs_{"arca-rootfs"};
  TempDir host_{"arca-host"};  // must stay empty whatever the rootfs plants
};

TEST(RootfsPath, SplitKeepsDotDot) {
  EXPECT_EQ(split_path("/a//b/./c/"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_path("/a/../b"), (std::vector<std::string>{"a", "..", "b"}));
  EXPECT_TRUE(split_path("/").empty());
  EXPECT_EQ(parent_of("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_of("/c"), "/");
  EXPECT_EQ(base_of("/a/b/c/"), "c");
}

TEST_F(RootfsResolve, AbsoluteSymlinkIsResolvedInsideRoot) {
  ASSERT_EQ(symlink(host_.path().c_str(), (rootfs_ / "evil").c_str()), 0);
  EXPECT_EQ(run([&](int root) { return make(root, "/evil/sub/dir"); }), "");
  EXPECT_TRUE(is_empty_dir(host_.path()));
  EXPECT_TRUE(exists(rootfs_.path() + host_.path() + "/sub/dir"));
}

TEST_F(RootfsResolve, DotDotSymlinkChainIsClampedAtRoot) {
  ASSERT_EQ(mkdir((rootfs_ / "a").c_str(), 0755), 0);
  std::string up = "../../../../../../..";
  ASSERT_EQ(symlink((up + host_.path()).c_str(), (rootfs_ / "a/b").c_str()), 0);
  ASSERT_EQ(symlink("../a/b", (rootfs_ / "c").c_str()), 0);
  EXPECT_EQ(run([&](int root) { return make(root, "/c/target"); }), "");
  EXPECT_TRUE(is_empty_dir(host_.path()));
  EXPECT_TRUE(exists(rootfs_.path() + host_.path() + "/target"));
}

TEST_F(RootfsResolve, DotDotInDestinationStaysInRoot) {
  EXPECT_EQ(run([&](int root) { return make(root, "/../../../x/../y"); }), "");
  EXPECT_TRUE(exists(rootfs_ / "x"));
  EXPECT_TRUE(exists(rootfs_ / "y"));
}

TEST_F(RootfsResolve, CreatesFileLeafAndOpensExisting) {
  ASSERT_EQ(mkdir((rootfs_ / "proc").c_str(), 0555), 0);
  EXPECT_EQ(run([&](int root) -> std::string {
              auto fd = make_in_root(root, "/etc/resolv.conf", Leaf::kFile);
              if (!fd.ok()) return fd.error().render();
              struct stat st;
              if (fstat(fd->get(), &st) < 0 || !S_ISREG(st.st_mode)) return "not a file";
              return make(root, "/proc");
            }),
            "");
  struct stat st;
  ASSERT_EQ(stat((rootfs_ / "etc").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(RootfsResolve, DanglingSymlinkTargetIsCreatedInRoot) {
  ASSERT_EQ(symlink("/nowhere/deeper", (rootfs_ / "dangling").c_str()), 0);
  ASSERT_EQ(symlink("../../dangling", (rootfs_ / "rel").c_str()), 0);
  EXPECT_EQ(run([&](int root) { return make(root, "/rel/x"); }), "");
  EXPECT_TRUE(exists(rootfs_ / "nowhere/deeper/x"));
}

TEST_F(RootfsResolve, FileLeafThroughDanglingSymlink) {
  ASSERT_EQ(mkdir((rootfs_ / "etc").c_str(), 0755), 0);
  ASSERT_EQ(symlink(host_.path().c_str(), (rootfs_ / "etc/resolv.conf").c_str()), 0);
  EXPECT_EQ(run([&](int root) { return make(root, "/etc/resolv.conf", Leaf::kFile); }), "");
  struct stat st;
  ASSERT_EQ(stat((rootfs_.path() + host_.path()).c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(RootfsResolve, SymlinkLoopFails) {
  ASSERT_EQ(symlink("b", (rootfs_ / "a").c_str()), 0);
  ASSERT_EQ(symlink("a", (rootfs_ / "b").c_str()), 0);
  EXPECT_EQ(run([&](int root) -> std::string {
              auto fd = make_in_root(root, "/a/x", Leaf::kDirectory);
              return !fd.ok() && fd.error().code() == ELOOP ? "" : "no ELOOP";
            }),
            "");
}

TEST_F(RootfsResolve, MagicLinksAreRefused) {
  ASSERT_EQ(symlink("/proc/self/root", (rootfs_ / "magic").c_str()), 0);
  EXPECT_EQ(run([&](int root) -> std::string {
              return open_in_root(root, "/magic/tmp", O_PATH).ok() ? "escaped" : "";
            }),
            "");
}

TEST(RootfsProcfs, ChecksFilesystemType) {
  UniqueFd proc(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd tmp(open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(proc.valid() && tmp.valid());
  EXPECT_TRUE(check_is_procfs(proc.get()).ok());
  EXPECT_FALSE(check_is_procfs(tmp.get()).ok());
}

}  // namespace
}  // namespace arca::rootfs
