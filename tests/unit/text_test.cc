#include "base/text.h"

#include <gtest/gtest.h>

namespace arca::text {
namespace {

using V = std::vector<std::string>;

TEST(Text, SplitKeepsEmptyPieces) {
  EXPECT_EQ(split("a//b", '/'), (V{"a", "", "b"}));
  EXPECT_EQ(split("/a", '/'), (V{"", "a"}));
  EXPECT_EQ(split("", '/'), V{});
}

TEST(Text, LinesDropOneTrailingNewline) {
  EXPECT_EQ(lines("a\nb\n"), (V{"a", "b"}));
  EXPECT_EQ(lines("a\n\nb"), (V{"a", "", "b"}));
  EXPECT_EQ(lines(""), V{});
}

TEST(Text, WordsAndTrim) {
  EXPECT_EQ(words("  36 35 98:0\t/ /  "), (V{"36", "35", "98:0", "/", "/"}));
  EXPECT_EQ(words(" \n "), V{});
  EXPECT_EQ(trim("  x y\n"), "x y");
}

}  // namespace
}  // namespace arca::text
