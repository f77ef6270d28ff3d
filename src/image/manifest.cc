#include "image/manifest.h"

#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "image/entry_path.h"
#include "image/sha256.h"

namespace arca::image {

namespace {

using nlohmann::json;

const char* const kRefName = "org.opencontainers.image.ref.name";
const char* const kContainerdName = "io.containerd.image.name";

Result<json> parse_json(const std::string& text, const std::string& what) {
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error::invalid(what + ": not valid JSON");
  return j;
}

std::string string_at(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool is_index(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// Fetches a blob by descriptor and checks its digest: the content address is what makes
// the cache key trustworthy.
Result<json> load_verified(const json& descriptor, const BlobLoader& load,
                           const std::string& what) {
  std::string digest = string_at(descriptor, "digest");
  ARCA_ASSIGN(std::string path, blob_path(digest));
  ARCA_ASSIGN(std::string text, load(path));
  if (sha256_of(text) != digest) return Error::invalid(what + " " + digest + ": digest mismatch");
  return parse_json(text, what + " " + digest);
}

// The names an index entry answers to.
std::vector<std::string> entry_names(const json& descriptor) {
  std::vector<std::string> names;
  auto it = descriptor.find("annotations");
  if (it == descriptor.end() || !it->is_object()) return names;
  for (const char* key : {kContainerdName, kRefName}) {
    std::string name = string_at(*it, key);
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

bool platform_fits(const json& descriptor, const std::string& arch) {
  auto it = descriptor.find("platform");
  if (it == descriptor.end() || !it->is_object()) return true;
  std::string os = string_at(*it, "os");
  std::string a = string_at(*it, "architecture");
  return (os.empty() || os == "linux") && (a.empty() || a == arch);
}

// Picks the one manifest of an index: by name when asked, else the only one that fits.
Result<json> pick(const json& index, const std::string& want, const std::string& arch, bool nested,
                  std::string* name) {
  auto it = index.find("manifests");
  if (it == index.end() || !it->is_array() || it->empty()) {
    return Error::invalid("index: no manifests");
  }
  std::vector<const json*> fits;
  std::string all;
  for (const auto& d : *it) {
    if (!d.is_object()) return Error::invalid("index: manifests: not an object");
    auto names = entry_names(d);
    if (!names.empty()) all += (all.empty() ? "" : ", ") + names.front();
    bool named = nested || want.empty();
    for (const auto& n : names) named = named || image_name_matches(want, n);
    if (named && platform_fits(d, arch)) fits.push_back(&d);
  }
  if (fits.empty() && !want.empty() && !nested) {
    return Error::invalid("no image " + quote(want) + " in the archive (it has: " +
                          (all.empty() ? "unnamed images" : all) + ")");
  }
  if (fits.empty()) return Error::invalid("no image for linux/" + arch + " in the index");
  if (fits.size() > 1 && !nested) {
    return Error::invalid("the archive holds " + std::to_string(fits.size()) + " images (" + all +
                          "): choose one with --image");
  }
  if (!nested) {
    auto names = entry_names(*fits.front());
    *name = names.empty() ? "" : names.front();
  }
  return *fits.front();
}

Result<BlobRef> docker_ref(const json& value, const std::string& what) {
  if (!value.is_string()) return Error::invalid("manifest.json: " + what + ": not a string");
  ARCA_ASSIGN(std::string path, clean_entry_path(value.get<std::string>()));
  BlobRef ref{path, ""};
  const std::string prefix = "blobs/sha256/";
  if (path.compare(0, prefix.size(), prefix) == 0 &&
      is_sha256_digest("sha256:" + path.substr(prefix.size()))) {
    ref.digest = "sha256:" + path.substr(prefix.size());
  }
  return ref;
}

}  // namespace

Result<std::string> blob_path(const std::string& digest) {
  if (!is_sha256_digest(digest)) {
    return Error::invalid("unsupported digest " + quote(digest) + " (want sha256:<64 hex>)");
  }
  return "blobs/sha256/" + digest.substr(7);
}

bool image_name_matches(const std::string& want, const std::string& candidate) {
  if (want.empty()) return false;
  for (const std::string& w : {want, want + ":latest"}) {
    if (candidate == w) return true;
    if (candidate.size() > w.size() &&
        candidate.compare(candidate.size() - w.size(), w.size(), w) == 0 &&
        candidate[candidate.size() - w.size() - 1] == '/') {
      return true;
    }
  }
  return false;
}

std::string host_arch() {
  struct utsname u;
  if (uname(&u) != 0) return "amd64";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i686" || m == "i386") return "386";
  if (m.rfind("armv", 0) == 0) return "arm";
  return m;  // ppc64le, s390x, riscv64 are spelled the same
}

Result<ImagePlan> plan_oci(const std::string& index_json, const std::string& want,
                           const std::string& arch, const BlobLoader& load) {
  ARCA_ASSIGN(json index, parse_json(index_json, "index.json"));
  ImagePlan plan;
  ARCA_ASSIGN(json descriptor, pick(index, want, arch, false, &plan.name));
  // Nested indexes (multi-platform images): a few levels at most.
  for (int depth = 0; is_index(string_at(descriptor, "mediaType")); ++depth) {
    if (depth == 4) return Error::invalid("index.json: indexes nested too deep");
    ARCA_ASSIGN(json nested, load_verified(descriptor, load, "index"));
    ARCA_ASSIGN(descriptor, pick(nested, want, arch, true, &plan.name));
  }
  plan.manifest_digest = string_at(descriptor, "digest");
  ARCA_ASSIGN(json manifest, load_verified(descriptor, load, "manifest"));
  auto config = manifest.find("config");
  auto layers = manifest.find("layers");
  if (config == manifest.end() || !config->is_object() || layers == manifest.end() ||
      !layers->is_array()) {
    return Error::invalid("manifest " + plan.manifest_digest + ": needs config and layers");
  }
  plan.config.digest = string_at(*config, "digest");
  ARCA_ASSIGN(plan.config.path, blob_path(plan.config.digest));
  for (const auto& layer : *layers) {
    BlobRef ref;
    ref.digest = string_at(layer, "digest");
    ARCA_ASSIGN(ref.path, blob_path(ref.digest));
    plan.layers.push_back(std::move(ref));
  }
  return plan;
}

Result<ImagePlan> plan_docker(const std::string& manifest_json, const std::string& want) {
  ARCA_ASSIGN(json manifest, parse_json(manifest_json, "manifest.json"));
  if (!manifest.is_array() || manifest.empty()) {
    return Error::invalid("manifest.json: must be a non-empty array");
  }
  std::vector<const json*> fits;
  std::string all;
  for (const auto& image : manifest) {
    auto tags = image.is_object() ? image.find("RepoTags") : image.end();
    bool named = want.empty();
    std::string first;
    if (tags != image.end() && tags->is_array()) {
      for (const auto& t : *tags) {
        if (!t.is_string()) continue;
        if (first.empty()) first = t.get<std::string>();
        named = named || image_name_matches(want, t.get<std::string>());
      }
    }
    all += (all.empty() ? "" : ", ") + (first.empty() ? std::string("<untagged>") : first);
    if (named) fits.push_back(&image);
  }
  if (fits.empty())
    return Error::invalid("no image " + quote(want) + " in the archive (it has: " + all + ")");
  if (fits.size() > 1) {
    return Error::invalid("the archive holds " + std::to_string(fits.size()) + " images (" + all +
                          "): choose one with --image");
  }
  const json& image = *fits.front();
  ImagePlan plan;
  auto tags = image.find("RepoTags");
  if (tags != image.end() && tags->is_array() && !tags->empty() && tags->front().is_string()) {
    plan.name = tags->front().get<std::string>();
  }
  auto config = image.find("Config");
  auto layers = image.find("Layers");
  if (config == image.end() || layers == image.end() || !layers->is_array()) {
    return Error::invalid("manifest.json: an image needs Config and Layers");
  }
  ARCA_ASSIGN(plan.config, docker_ref(*config, "Config"));
  for (const auto& layer : *layers) {
    ARCA_ASSIGN(BlobRef ref, docker_ref(layer, "Layers"));
    plan.layers.push_back(std::move(ref));
  }
  return plan;
}

}  // namespace arca::image
