#include <gtest/gtest.h>
#include <unistd.h>

#include "image/sha256.h"
#include "image_testing.h"

namespace arca::image {
namespace {

TEST(ImageSha256, KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256_of(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 million;
  std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(chunk.data(), chunk.size());
  EXPECT_EQ(million.digest(),
            "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ImageSha256, OfFdReadsToTheEnd) {
  testing::TempDir dir;
  testing::spit(dir / "f", "abc");
  UniqueFd fd(open((dir / "f").c_str(), O_RDONLY));
  auto d = sha256_of_fd(fd.get(), "f");
  ASSERT_TRUE(d) << d.error().render();
  EXPECT_EQ(*d, sha256_of("abc"));
}

TEST(ImageSha256, DigestSyntax) {
  EXPECT_TRUE(is_sha256_digest(sha256_of("x")));
  EXPECT_FALSE(is_sha256_digest("sha256:abc"));
  EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(64, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a') + "/"));
  EXPECT_FALSE(is_sha256_digest("sha256:../../" + std::string(58, 'a')));
}

}  // namespace
}  // namespace arca::image
