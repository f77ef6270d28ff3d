#include "base/error.h"

#include <gtest/gtest.h>

namespace arca {
namespace {

TEST(Error, RendersContextChainThenReason) {
  Error e(ENOENT, "exec \"/bin/bsh\"");
  e.context("container init");
  EXPECT_EQ(e.render(), "container init: exec \"/bin/bsh\": No such file or directory");
}

TEST(Error, InvalidHasNoReason) {
  EXPECT_EQ(Error::invalid("bad").context("parse").render(), "parse: bad");
}

Result<int> half(int x) {
  if (x % 2) return Error::invalid("odd");
  return x / 2;
}

Result<int> quarter(int x) {
  ARCA_ASSIGN(int h, half(x));
  ARCA_ASSIGN(int q, half(h));
  return q;
}

TEST(Result, AssignPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).error().render(), "odd");
}

TEST(Quote, EscapesQuotes) { EXPECT_EQ(quote("a\"b"), "\"a\\\"b\""); }

}  // namespace
}  // namespace arca
