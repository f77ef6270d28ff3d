#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "image/manifest.h"
#include "image/sha256.h"

namespace arca::image {
namespace {

using nlohmann::json;

// An in-memory layout: blobs by path, added by content.
struct Blobs {
  std::map<std::string, std::string> files;
  json add(const std::string& content, const std::string& media_type) {
    std::string digest = sha256_of(content);
    files["blobs/sha256/" + digest.substr(7)] = content;
    return {{"mediaType", media_type}, {"digest", digest}, {"size", content.size()}};
  }
  BlobLoader loader() {
    return [this](const std::string& path) -> Result<std::string> {
      auto it = files.find(path);
      if (it == files.end()) return Error(ENOENT, path);
      return it->second;
    };
  }
  json manifest(const std::string& config, std::vector<std::string> layers) {
    json m = {{"schemaVersion", 2},
              {"config", add(config, "application/vnd.oci.image.config.v1+json")},
              {"layers", json::array()}};
    for (const auto& l : layers)
      m["layers"].push_back(add(l, "application/vnd.oci.image.layer.v1.tar"));
    return add(m.dump(), "application/vnd.oci.image.manifest.v1+json");
  }
};

json named(json d, const std::string& name) {
  d["annotations"] = {{"org.opencontainers.image.ref.name", name}};
  return d;
}

TEST(ImageManifest, SingleOciImage) {
  Blobs b;
  json m = b.manifest("{}", {"l1", "l2"});
  json index = {{"manifests", json::array({named(m, "latest")})}};
  auto plan = plan_oci(index.dump(), "", "amd64", b.loader());
  ASSERT_TRUE(plan) << plan.error().render();
  EXPECT_EQ(plan->name, "latest");
  EXPECT_EQ(plan->manifest_digest, m["digest"]);
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->layers[0].digest, sha256_of("l1"));
  EXPECT_EQ(plan->layers[1].path, "blobs/sha256/" + sha256_of("l2").substr(7));
  EXPECT_EQ(plan->config.digest, sha256_of("{}"));
}

TEST(ImageManifest, MultiImageNeedsAName) {
  Blobs b;
  json one = named(b.manifest("{}", {"a"}), "docker.io/library/alpine:3.19");
  json two = named(b.manifest("{}", {"b"}), "busybox:latest");
  json index = {{"manifests", json::array({one, two})}};
  auto none = plan_oci(index.dump(), "", "amd64", b.loader());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("choose one with --image"), std::string::npos);
  EXPECT_NE(none.error().message().find("busybox:latest"), std::string::npos);
  EXPECT_EQ(plan_oci(index.dump(), "busybox", "amd64", b.loader())->layers[0].digest,
            sha256_of("b"));
  EXPECT_EQ(plan_oci(index.dump(), "alpine:3.19", "amd64", b.loader())->layers[0].digest,
            sha256_of("a"));
  auto missing = plan_oci(index.dump(), "debian", "amd64", b.loader());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("no image \"debian\""), std::string::npos);
}

TEST(ImageManifest, NestedIndexPicksThePlatform) {
  Blobs b;
  json arm = b.manifest("{}", {"arm"});
  arm["platform"] = {{"os", "linux"}, {"architecture", "arm64"}};
  json amd = b.manifest("{}", {"amd"});
  amd["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
  json nested = b.add(json({{"manifests", json::array({arm, amd})}}).dump(),
                      "application/vnd.oci.image.index.v1+json");
  json index = {{"manifests", json::array({named(nested, "multi")})}};
  auto plan = plan_oci(index.dump(), "", "amd64", b.loader());
  ASSERT_TRUE(plan) << plan.error().render();
  EXPECT_EQ(plan->layers[0].digest, sha256_of("amd"));
  EXPECT_EQ(plan->name, "multi");
  EXPECT_EQ(plan_oci(index.dump(), "", "arm64", b.loader())->layers[0].digest, sha256_of("arm"));
  EXPECT_FALSE(plan_oci(index.dump(), "", "riscv64", b.loader()));
}

TEST(ImageManifest, DigestsAreChecked) {
  Blobs b;
  json m = b.manifest("{}", {"l1"});
  b.files["blobs/sha256/" + m["digest"].get<std::string>().substr(7)] = "{\"tampered\": 1}";
  json index = {{"manifests", json::array({m})}};
  auto plan = plan_oci(index.dump(), "", "amd64", b.loader());
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("digest mismatch"), std::string::npos);
}

TEST(ImageManifest, BadDigestsAreNotPaths) {
  Blobs b;
  json index = {{"manifests", json::array({{{"digest", "sha256:../../etc/passwd"}}})}};
  auto plan = plan_oci(index.dump(), "", "amd64", b.loader());
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message().find("unsupported digest"), std::string::npos);
  EXPECT_FALSE(blob_path("md5:abc"));
  EXPECT_FALSE(plan_oci("not json", "", "amd64", b.loader()));
  EXPECT_FALSE(plan_oci("{}", "", "amd64", b.loader()));
}

TEST(ImageManifest, DockerSave) {
  json manifest = json::array({{{"Config", "c1.json"},
                                {"RepoTags", {"example/one:1.0"}},
                                {"Layers", {"aa/layer.tar", "bb/layer.tar"}}},
                               {{"Config", "blobs/sha256/" + std::string(64, 'c')},
                                {"RepoTags", {"two:latest"}},
                                {"Layers", {"blobs/sha256/" + std::string(64, 'd')}}}});
  auto none = plan_docker(manifest.dump(), "");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("choose one with --image"), std::string::npos);
  auto one = plan_docker(manifest.dump(), "example/one:1.0");
  ASSERT_TRUE(one) << one.error().render();
  EXPECT_EQ(one->name, "example/one:1.0");
  EXPECT_EQ(one->config.path, "c1.json");
  EXPECT_EQ(one->config.digest, "");
  ASSERT_EQ(one->layers.size(), 2u);
  EXPECT_EQ(one->layers[1].path, "bb/layer.tar");
  auto two = plan_docker(manifest.dump(), "two");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->layers[0].digest, "sha256:" + std::string(64, 'd'));
  json evil = json::array({{{"Config", "c.json"}, {"Layers", {"../../etc/shadow"}}}});
  EXPECT_FALSE(plan_docker(evil.dump(), ""));
}

TEST(ImageManifest, NameMatching) {
  EXPECT_TRUE(image_name_matches("alpine", "alpine:latest"));
  EXPECT_TRUE(image_name_matches("alpine", "docker.io/library/alpine:latest"));
  EXPECT_TRUE(image_name_matches("alpine:3.19", "docker.io/library/alpine:3.19"));
  EXPECT_TRUE(image_name_matches("latest", "latest"));
  EXPECT_FALSE(image_name_matches("alpine", "alpine:3.19"));
  EXPECT_FALSE(image_name_matches("pine", "alpine:latest"));
  EXPECT_FALSE(image_name_matches("", "alpine"));
}

}  // namespace
}  // namespace arca::image
