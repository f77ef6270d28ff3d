#include "image/store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include "image/entry_path.h"
#include "image/files.h"
#include "rootfs/resolve.h"

namespace arca::image {

namespace {

constexpr int64_t kSmallFile = 1 << 20;    // kept in memory by the first pass
constexpr int64_t kSmallTotal = 64 << 20;  // at most this much in all
constexpr size_t kLoadLimit = 16 << 20;    // a JSON blob bigger than this is refused

bool is_hex_id(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Top-level names of OCI and `docker save` archives.
bool image_top_level(const std::string& name) {
  static const char* const kNames[] = {"blobs", "index.json", "oci-layout", "manifest.json",
                                       "repositories"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  if (name.size() == 69 && name.compare(64, 5, ".json") == 0) return is_hex_id(name.substr(0, 64));
  return is_hex_id(name);
}

// "a/b" + "../c/d" -> "a/c/d"; an escape above the top is clamped, like RESOLVE_IN_ROOT.
std::string join_link(const std::string& dir, const std::string& target) {
  std::vector<std::string> parts;
  std::string whole = target.empty() || target.front() == '/' ? target : dir + "/" + target;
  for (auto& part : rootfs::split_path(whole)) {
    if (part != "..") {
      parts.push_back(std::move(part));
    } else if (!parts.empty()) {
      parts.pop_back();
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

Result<std::string> read_entry(ArchiveReader& reader, size_t limit, const std::string& what) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ARCA_ASSIGN(size_t n, reader.read(buf, sizeof buf));
    if (n == 0) return out;
    if (out.size() + n > limit) return Error::invalid(what + ": too large");
    out.append(buf, n);
  }
}

ArchiveReader::Source string_source(const std::string& data) {
  auto offset = std::make_shared<size_t>(0);
  return [&data, offset](char* buf, size_t size) -> Result<size_t> {
    size_t n = std::min(size, data.size() - *offset);
    memcpy(buf, data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

}  // namespace

Result<ArchiveScan> scan_archive(ArchiveReader& reader) {
  ArchiveScan scan;
  int64_t kept = 0;
  for (;;) {
    ARCA_ASSIGN(auto entry, reader.next());
    if (!entry) break;
    ARCA_ASSIGN(std::string path, clean_entry_path(entry->name));
    if (path.empty()) continue;
    if (!image_top_level(path.substr(0, path.find('/')))) return ArchiveScan{};
    if (entry->type == EntryType::kSymlink) {
      scan.links[path] = join_link(entry_parent(path), entry->link);
    } else if (entry->type == EntryType::kHardlink) {
      ARCA_ASSIGN(scan.links[path], clean_entry_path(entry->link));
    } else if (entry->type == EntryType::kFile) {
      scan.sizes[path] = entry->size;
      if (entry->size <= kSmallFile && kept + entry->size <= kSmallTotal) {
        ARCA_ASSIGN(scan.small[path], read_entry(reader, kSmallFile, quote(path)));
        kept += entry->size;
      }
    }
  }
  bool oci = scan.sizes.count("index.json") != 0;
  bool docker = scan.sizes.count("manifest.json") != 0;
  scan.kind = oci ? ArchiveKind::kOci : docker ? ArchiveKind::kDocker : ArchiveKind::kRootfs;
  return scan;
}

Result<ImageStore> ImageStore::open_layout(const std::string& dir) {
  ImageStore store;
  store.origin_ = dir;
  store.layout_.reset(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!store.layout_.valid()) return Error::os("open " + quote(dir));
  return store;
}

ImageStore ImageStore::from_scan(const std::string& archive, ArchiveScan scan) {
  ImageStore store;
  store.origin_ = archive;
  store.scan_ = std::move(scan);
  return store;
}

Result<std::string> ImageStore::resolve(const std::string& path) const {
  std::string at = path;
  for (int hops = 0; hops < 8; ++hops) {
    auto link = scan_.links.find(at);
    if (link == scan_.links.end()) return at;
    at = link->second;
  }
  return Error(ELOOP, quote(path) + " in " + quote(origin_));
}

bool ImageStore::has(const std::string& path) const {
  if (layout_.valid()) return rootfs::open_in_root(layout_.get(), path, O_PATH).ok();
  auto at = resolve(path);
  return at && scan_.sizes.count(*at) != 0;
}

int64_t ImageStore::size(const std::string& path) const {
  if (layout_.valid()) {
    auto fd = rootfs::open_in_root(layout_.get(), path, O_PATH);
    struct stat st;
    return fd && fstat(fd->get(), &st) == 0 ? st.st_size : -1;
  }
  auto at = resolve(path);
  auto it = at ? scan_.sizes.find(*at) : scan_.sizes.end();
  return it == scan_.sizes.end() ? -1 : it->second;
}

Result<std::string> ImageStore::load(const std::string& path) const {
  if (!layout_.valid()) {
    ARCA_ASSIGN(std::string at, resolve(path));
    auto it = scan_.small.find(at);
    if (it != scan_.small.end()) return it->second;
  }
  std::string out;
  ARCA_TRY(stream(path, [&](const ArchiveReader::Source& source) -> Status {
    char buf[1 << 16];
    for (;;) {
      ARCA_ASSIGN(size_t n, source(buf, sizeof buf));
      if (n == 0) return {};
      if (out.size() + n > kLoadLimit) return Error::invalid(quote(path) + ": too large");
      out.append(buf, n);
    }
  }));
  return out;
}

Status ImageStore::stream(const std::string& path,
                          const std::function<Status(const ArchiveReader::Source&)>& use) const {
  if (layout_.valid()) {
    auto fd = rootfs::open_in_root(layout_.get(), path, O_RDONLY);
    if (!fd) return std::move(fd).error().context(quote(origin_));
    int raw = fd->get();
    return use([raw, path](char* buf, size_t size) -> Result<size_t> {
      for (;;) {
        ssize_t n = read(raw, buf, size);
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EINTR) return Error::os("read " + quote(path));
      }
    });
  }
  ARCA_ASSIGN(std::string at, resolve(path));
  if (auto it = scan_.small.find(at); it != scan_.small.end())
    return use(string_source(it->second));
  if (scan_.sizes.count(at) == 0) return Error(ENOENT, quote(path) + " in " + quote(origin_));
  // A big blob: find it in a new pass (skipping over the others is a seek in a plain tar).
  UniqueFd fd(open(origin_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(origin_));
  ARCA_ASSIGN(ArchiveReader reader, ArchiveReader::open_fd(fd.get(), origin_));
  for (;;) {
    ARCA_ASSIGN(auto entry, reader.next());
    if (!entry) return Error(ENOENT, quote(path) + " in " + quote(origin_));
    auto name = clean_entry_path(entry->name);
    if (!name || *name != at || entry->type != EntryType::kFile) continue;
    return use([&reader](char* buf, size_t size) { return reader.read(buf, size); });
  }
}

}  // namespace arca::image
