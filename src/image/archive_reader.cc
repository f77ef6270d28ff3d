#include "image/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstring>

namespace arca::image {

struct ArchiveReader::Impl {
  archive* a = nullptr;
  std::string name;
  Source source;
  std::vector<char> buffer;
  std::optional<Error> source_error;  // what the Source said, rather than libarchive's echo

  ~Impl() {
    if (a != nullptr) archive_read_free(a);
  }

  Error error(const std::string& what) const {
    if (source_error) return Error(*source_error).context(name);
    const char* text = archive_error_string(a);
    std::string reason = text != nullptr ? text : "unknown error";
    if (reason.find("Unrecognized archive format") != std::string::npos ||
        reason.find("Truncated input file") != std::string::npos) {
      // libarchive's words for "not a tar at all" (first header not found).
      return Error::invalid(name + ": unknown format (" + reason +
                            "); want a tar archive, plain or compressed with gzip, xz or zstd");
    }
    int err = archive_errno(a);
    // Format errors come with libarchive's own codes (EILSEQ for a bad format, EINVAL for
    // misuse, -1 for anything else), which strerror would misread.
    bool os = err > 0 && err != EILSEQ && err != EINVAL;
    return Error(os ? err : 0, name + ": " + what + reason);
  }
};

namespace {

la_ssize_t read_source(archive* a, void* client, const void** buffer) {
  auto* impl = static_cast<ArchiveReader::Impl*>(client);
  auto n = impl->source(impl->buffer.data(), impl->buffer.size());
  if (!n) {
    impl->source_error = std::move(n).error();
    archive_set_error(a, EIO, "read failed");
    return -1;
  }
  *buffer = impl->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

// Only what images come as: tar, raw or compressed. No other format or filter is
// linked in (keeps the static binary small and the attack surface narrow).
Result<archive*> make_archive() {
  archive* a = archive_read_new();
  if (a == nullptr) return Error(ENOMEM, "libarchive");
  archive_read_support_format_tar(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_zstd(a);
  return a;
}

EntryType entry_type(archive_entry* e) {
  if (archive_entry_hardlink(e) != nullptr) return EntryType::kHardlink;
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
      return EntryType::kFile;
    case AE_IFDIR:
      return EntryType::kDirectory;
    case AE_IFLNK:
      return EntryType::kSymlink;
    case AE_IFIFO:
      return EntryType::kFifo;
    case AE_IFCHR:
    case AE_IFBLK:
      return EntryType::kDevice;
    default:
      return EntryType::kOther;
  }
}

Result<Entry> to_entry(archive_entry* e, const std::string& archive_name) {
  Entry out;
  const char* name = archive_entry_pathname(e);
  if (name == nullptr) return Error::invalid(archive_name + ": entry without a name");
  out.name = name;
  out.type = entry_type(e);
  out.mode = archive_entry_perm(e) & 07777;
  int64_t uid = archive_entry_uid(e);
  int64_t gid = archive_entry_gid(e);
  if (uid < 0 || uid > 0xfffffffe || gid < 0 || gid > 0xfffffffe) {
    return Error::invalid(archive_name + ": entry " + quote(out.name) + ": owner out of range");
  }
  out.uid = static_cast<uid_t>(uid);
  out.gid = static_cast<gid_t>(gid);
  out.size = archive_entry_size(e);
  out.mtime_sec = archive_entry_mtime(e);
  out.mtime_nsec = archive_entry_mtime_nsec(e);
  const char* link = out.type == EntryType::kHardlink  ? archive_entry_hardlink(e)
                     : out.type == EntryType::kSymlink ? archive_entry_symlink(e)
                                                       : nullptr;
  if (out.type == EntryType::kSymlink && link == nullptr) {
    return Error::invalid(archive_name + ": symlink " + quote(out.name) + " without a target");
  }
  if (link != nullptr) out.link = link;
  archive_entry_xattr_reset(e);
  const char* xname = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    if (xname == nullptr) continue;
    out.xattrs.emplace_back(xname, std::string(static_cast<const char*>(value), size));
  }
  return out;
}

}  // namespace

ArchiveReader::ArchiveReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArchiveReader::ArchiveReader(ArchiveReader&&) noexcept = default;
ArchiveReader& ArchiveReader::operator=(ArchiveReader&&) noexcept = default;
ArchiveReader::~ArchiveReader() = default;

Result<ArchiveReader> ArchiveReader::open_fd(int fd, const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  ARCA_ASSIGN(impl->a, make_archive());
  if (archive_read_open_fd(impl->a, fd, 1 << 16) != ARCHIVE_OK) return impl->error("");
  return ArchiveReader(std::move(impl));
}

Result<ArchiveReader> ArchiveReader::open_source(Source source, const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->source = std::move(source);
  impl->buffer.resize(1 << 16);
  ARCA_ASSIGN(impl->a, make_archive());
  if (archive_read_open(impl->a, impl.get(), nullptr, read_source, nullptr) != ARCHIVE_OK) {
    return impl->error("");
  }
  return ArchiveReader(std::move(impl));
}

Result<ArchiveReader> ArchiveReader::open_memory(const void* data, size_t size,
                                                 const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  ARCA_ASSIGN(impl->a, make_archive());
  if (archive_read_open_memory(impl->a, data, size) != ARCHIVE_OK) return impl->error("");
  return ArchiveReader(std::move(impl));
}

Result<std::optional<Entry>> ArchiveReader::next() {
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(impl_->a, &e);
  if (rc == ARCHIVE_EOF) return std::optional<Entry>();
  // ARCHIVE_WARN: e.g. a name not convertible to the locale; libarchive keeps its bytes.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return impl_->error("");
  ARCA_ASSIGN(Entry entry, to_entry(e, impl_->name));
  return std::optional<Entry>(std::move(entry));
}

Result<size_t> ArchiveReader::read(void* buf, size_t size) {
  la_ssize_t n = archive_read_data(impl_->a, buf, size);
  if (n < 0) return impl_->error("read: ");
  return static_cast<size_t>(n);
}

uint64_t ArchiveReader::consumed() const {
  la_int64_t n = archive_filter_bytes(impl_->a, -1);
  return n > 0 ? static_cast<uint64_t>(n) : 0;
}

}  // namespace arca::image
