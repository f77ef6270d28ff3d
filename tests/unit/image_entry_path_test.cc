#include <gtest/gtest.h>

#include "image/entry_path.h"

namespace arca::image {
namespace {

TEST(ImageEntryPath, Cleans) {
  EXPECT_EQ(*clean_entry_path("./usr//bin/"), "usr/bin");
  EXPECT_EQ(*clean_entry_path("etc/passwd"), "etc/passwd");
  EXPECT_EQ(*clean_entry_path("./"), "");
  EXPECT_EQ(*clean_entry_path("."), "");
  EXPECT_EQ(*clean_entry_path("a/./b/."), "a/b");
  EXPECT_EQ(*clean_entry_path("..a/b..c"), "..a/b..c");  // not ".." components
}

TEST(ImageEntryPath, RefusesEscapes) {
  for (const char* bad : {"../x", "a/../../x", "a/..", "..", "./../x", "a/b/../../../c"}) {
    auto r = clean_entry_path(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("\"..\" leads out of the root"), std::string::npos);
  }
  auto abs = clean_entry_path("/etc/passwd");
  ASSERT_FALSE(abs);
  EXPECT_NE(abs.error().message().find("absolute name"), std::string::npos);
  EXPECT_FALSE(clean_entry_path(""));
}

TEST(ImageEntryPath, ParentAndLeaf) {
  EXPECT_EQ(entry_parent("a/b/c"), "a/b");
  EXPECT_EQ(entry_parent("c"), "");
  EXPECT_EQ(entry_leaf("a/b/c"), "c");
  EXPECT_EQ(entry_leaf("c"), "c");
}

TEST(ImageWhiteout, Classifies) {
  struct Case {
    const char* path;
    WhiteoutKind kind;
    const char* target;
  };
  const Case cases[] = {
      {"etc/passwd", WhiteoutKind::kNone, ""},
      {"etc/.wh.passwd", WhiteoutKind::kRemove, "etc/passwd"},
      {".wh.opt", WhiteoutKind::kRemove, "opt"},
      {"usr/share/.wh..wh..opq", WhiteoutKind::kOpaque, "usr/share"},
      {".wh..wh..opq", WhiteoutKind::kOpaque, ""},
      {"a/.wh..wh.plnk", WhiteoutKind::kIgnore, ""},
      {"a/x.wh.y", WhiteoutKind::kNone, ""},
  };
  for (const auto& c : cases) {
    auto w = classify_whiteout(c.path);
    ASSERT_TRUE(w) << c.path;
    EXPECT_EQ(w->kind, c.kind) << c.path;
    EXPECT_EQ(w->target, c.target) << c.path;
  }
}

TEST(ImageWhiteout, RefusesWhiteoutsOfDots) {
  EXPECT_FALSE(classify_whiteout("a/.wh."));
  EXPECT_FALSE(classify_whiteout("a/.wh.."));
  EXPECT_FALSE(classify_whiteout("a/.wh..."));
}

}  // namespace
}  // namespace arca::image
