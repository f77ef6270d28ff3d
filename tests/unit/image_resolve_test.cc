#include <gtest/gtest.h>
#include <sys/stat.h>

#include "image/resolve.h"
#include "image_testing.h"

namespace arca::image {
namespace {

using testing::TempDir;

void mkdirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    mkdir(path.substr(0, slash).c_str(), 0755);
  }
  mkdir(path.c_str(), 0755);
}

TEST(ImageBuiltinRoot, BesideTheBinaryInABuildTreeOrAnInstall) {
  TempDir dir;
  mkdirs(dir / "build/share/arca/rootfs");
  auto build = builtin_root(dir / "build/arca", "/nonexistent");
  ASSERT_TRUE(build) << build.error().render();
  EXPECT_EQ(*build, dir / "build/share/arca/rootfs");
  mkdirs(dir / "prefix/bin");
  mkdirs(dir / "prefix/share/arca/rootfs");
  auto installed = builtin_root(dir / "prefix/bin/arca", "/nonexistent");
  ASSERT_TRUE(installed);
  EXPECT_EQ(*installed, dir / "prefix/share/arca/rootfs");
  auto datadir = builtin_root("/nonexistent/bin/arca", dir / "prefix/share/arca");
  ASSERT_TRUE(datadir);
  EXPECT_EQ(*datadir, dir / "prefix/share/arca/rootfs");
  auto none = builtin_root("/nonexistent/bin/arca", "/nonexistent");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("run scripts/setup.sh, or give --rootfs"),
            std::string::npos);
}

TEST(ImageResolveRoot, PlainDirectoriesAndWhatIsNotARoot) {
  TempDir dir;
  mkdirs(dir / "root/bin");
  RootRequest request;
  request.source = dir / "root";
  request.cache_dir = dir / "cache";
  auto plain = resolve_root(request);
  ASSERT_TRUE(plain) << plain.error().render();
  EXPECT_TRUE(plain->plain_dir);
  EXPECT_EQ(plain->path, dir / "root");
  EXPECT_EQ(plain->digest, "");

  request.image = "alpine";
  auto named = resolve_root(request);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message().find("is a root directory, not an image"), std::string::npos);

  request.image.clear();
  request.source = dir / "missing";
  auto missing = resolve_root(request);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);

  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0600), 0);
  request.source = dir / "fifo";
  auto fifo = resolve_root(request);
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().message().find("unknown format"), std::string::npos);
}

TEST(ImageResolveRoot, TarballsAreUnpackedOnceIntoTheCache) {
  TempDir dir;
  testing::spit(dir / "root.tar",
                testing::TarBuilder().dir("etc").file("etc/hostname", "tar\n").bytes());
  RootRequest request;
  request.source = dir / "root.tar";
  request.cache_dir = dir / "cache";
  auto first = resolve_root(request);
  ASSERT_TRUE(first) << first.error().render();
  EXPECT_FALSE(first->plain_dir);
  EXPECT_EQ(testing::slurp(first->path + "/etc/hostname"), "tar\n");
  EXPECT_EQ(first->path, dir / ("cache/sha256/" + first->digest.substr(7) + "/rootfs"));
  // Cached: removing a file from the entry shows the entry is used as it is.
  unlink((first->path + "/etc/hostname").c_str());
  auto second = resolve_root(request);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->digest, first->digest);
  EXPECT_FALSE(testing::exists(second->path + "/etc/hostname"));

  request.image = "x";
  auto named = resolve_root(request);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message().find("not an image archive"), std::string::npos);
}

}  // namespace
}  // namespace arca::image
