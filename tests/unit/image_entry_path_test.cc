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
  auto none = classify_whiteout("etc/passwd");
  EXPECT_EQ(none->kind, WhiteoutKind::kNone);
  auto remove = classify_whiteout("etc/.wh.passwd");
  EXPECT_EQ(remove->kind, WhiteoutKind::kRemove);
  EXPECT_EQ(remove->target, "etc/passwd");
  auto top = classify_whiteout(".wh.opt");
  EXPECT_EQ(top->kind, WhiteoutKind::kRemove);
  EXPECT_EQ(top->target, "opt");
  auto opaque = classify_whiteout("usr/share/.wh..wh..opq");
  EXPECT_EQ(opaque->kind, WhiteoutKind::kOpaque);
  EXPECT_EQ(opaque->target, "usr/share");
  auto root_opaque = classify_whiteout(".wh..wh..opq");
  EXPECT_EQ(root_opaque->kind, WhiteoutKind::kOpaque);
  EXPECT_EQ(root_opaque->target, "");
  EXPECT_EQ(classify_whiteout("a/.wh..wh.plnk")->kind, WhiteoutKind::kIgnore);
  EXPECT_EQ(classify_whiteout("a/x.wh.y")->kind, WhiteoutKind::kNone);
}

TEST(ImageWhiteout, RefusesWhiteoutsOfDots) {
  EXPECT_FALSE(classify_whiteout("a/.wh."));
  EXPECT_FALSE(classify_whiteout("a/.wh.."));
  EXPECT_FALSE(classify_whiteout("a/.wh..."));
}

}  // namespace
}  // namespace arca::image
