#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/cache.h"
#include "image/progress.h"
#include "image/sha256.h"
#include "image_testing.h"

namespace arca::image {
namespace {

using nlohmann::json;
using testing::exists;
using testing::TempDir;

Result<json> write_marker(int rootfs_fd) {
  int fd = openat(rootfs_fd, "marker", O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return Error::os("marker");
  close(fd);
  return json{{"source", "test"}};
}

TEST(ImageCache, AddFindList) {
  TempDir dir;
  auto cache = Cache::open(dir / "images");
  ASSERT_TRUE(cache) << cache.error().render();
  std::string key = sha256_of("archive");
  EXPECT_FALSE(cache->find(key));
  auto added = cache->add(key, write_marker);
  ASSERT_TRUE(added) << added.error().render();
  EXPECT_EQ(added->dir, dir / ("images/sha256/" + key.substr(7)));
  EXPECT_TRUE(exists(added->rootfs() + "/marker"));
  EXPECT_EQ(added->meta["source"], "test");
  EXPECT_EQ(added->meta["key"], key);
  auto found = cache->find(key);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->meta["source"], "test");
  auto list = cache->list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, key);
  EXPECT_FALSE(cache->find("sha256:../../x"));
}

TEST(ImageCache, FailedImportLeavesNothing) {
  TempDir dir;
  auto cache = Cache::open(dir / "images");
  ASSERT_TRUE(cache);
  std::string key = sha256_of("broken");
  auto added = cache->add(key, [](int rootfs_fd) -> Result<json> {
    (void)write_marker(rootfs_fd);
    return Error::invalid("corrupt archive");
  });
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().message(), "corrupt archive");
  EXPECT_FALSE(cache->find(key));
  EXPECT_TRUE(cache->list()->empty());
  struct stat st;
  ASSERT_EQ(stat((dir / "images/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);  // tmp/ is empty again
}

TEST(ImageCache, RemembersSourcesByStat) {
  TempDir dir;
  auto cache = Cache::open(dir / "images");
  ASSERT_TRUE(cache);
  testing::spit(dir / "a.tar", "one");
  struct stat st;
  ASSERT_EQ(stat((dir / "a.tar").c_str(), &st), 0);
  EXPECT_FALSE(cache->remembered_key(dir / "a.tar", "", st));
  cache->remember(dir / "a.tar", "", st, sha256_of("k"));
  EXPECT_EQ(cache->remembered_key(dir / "a.tar", "", st), sha256_of("k"));
  EXPECT_FALSE(cache->remembered_key(dir / "a.tar", "other-image", st));
  testing::spit(dir / "a.tar", "changed");
  ASSERT_EQ(stat((dir / "a.tar").c_str(), &st), 0);
  EXPECT_FALSE(cache->remembered_key(dir / "a.tar", "", st));
}

TEST(ImageCache, PruneKeepsWhatIsInUse) {
  TempDir dir;
  auto cache = Cache::open(dir / "images");
  ASSERT_TRUE(cache);
  std::string used = sha256_of("used"), unused = sha256_of("unused");
  ASSERT_TRUE(cache->add(used, write_marker));
  ASSERT_TRUE(cache->add(unused, write_marker));
  auto stats = cache->prune({used});
  ASSERT_TRUE(stats) << stats.error().render();
  EXPECT_EQ(stats->removed, 1);
  EXPECT_EQ(stats->kept, 1);
  EXPECT_TRUE(cache->find(used));
  EXPECT_FALSE(cache->find(unused));
}

TEST(ImageCache, WorkDir) {
  EXPECT_EQ(work_dir("/x"), "/x");
  setenv("ARCA_CACHE_DIR", "/from-env", 1);
  EXPECT_EQ(work_dir(""), "/from-env");
  unsetenv("ARCA_CACHE_DIR");
  EXPECT_EQ(work_dir(""), "/var/lib/arca");
}

TEST(ImageProgress, Renders) {
  EXPECT_EQ(Progress::render("unpacking a.tar", 1500000, 3000000),
            "unpacking a.tar  50% [############            ] 1.5/3.0 MB");
  EXPECT_EQ(Progress::render("x", 5, 0), "x   0% [                        ] 0.0/0.0 MB");
  EXPECT_EQ(Progress::render("x", 9, 3), "x 100% [########################] 0.0/0.0 MB");
}

}  // namespace
}  // namespace arca::image
