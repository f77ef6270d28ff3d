// Test helpers for the image module: tar archives built byte by byte (ustar headers, pax
// and GNU long names), so the tests know exactly what the reader gets, and temp dirs.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/remove_tree.h"
#include "base/unique_fd.h"

namespace arca::image::testing {

class TarBuilder {
 public:
  TarBuilder& file(const std::string& name, const std::string& data, unsigned mode = 0644) {
    return entry(name, '0', data, "", mode);
  }
  TarBuilder& dir(const std::string& name, unsigned mode = 0755) {
    return entry(name, '5', "", "", mode);
  }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    return entry(name, '2', "", target, 0777);
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) {
    return entry(name, '1', "", target, 0644);
  }
  TarBuilder& device(const std::string& name) { return entry(name, '3', "", "", 0600); }
  TarBuilder& fifo(const std::string& name) { return entry(name, '6', "", "", 0600); }
  // A name longer than ustar holds, as a pax extended header ("path=...").
  TarBuilder& pax_file(const std::string& name, const std::string& data) {
    std::string record = " path=" + name + "\n";
    size_t len = record.size();
    std::string n = std::to_string(len);
    while (std::to_string(len + n.size()) != n) n = std::to_string(len + n.size());
    header("PaxHeaders/x", 'x', n + record, "", 0644);
    return entry("placeholder", '0', data, "", 0644);
  }
  // The same with GNU tar's ././@LongLink entry.
  TarBuilder& gnu_long_file(const std::string& name, const std::string& data) {
    header("././@LongLink", 'L', name + std::string(1, '\0'), "", 0644);
    return entry(name.substr(0, 99), '0', data, "", 0644);
  }
  TarBuilder& owner(unsigned uid, unsigned gid) {
    uid_ = uid;
    gid_ = gid;
    return *this;
  }
  std::string bytes() const { return out_ + std::string(1024, '\0'); }

 private:
  TarBuilder& entry(const std::string& name, char type, const std::string& data,
                    const std::string& link, unsigned mode) {
    header(name, type, data, link, mode);
    return *this;
  }
  static void octal(char* field, size_t width, unsigned long long value) {
    snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
  }
  void header(const std::string& name, char type, const std::string& data, const std::string& link,
              unsigned mode) {
    char h[512] = {};
    memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
    octal(h + 100, 8, mode);
    octal(h + 108, 8, uid_);
    octal(h + 116, 8, gid_);
    octal(h + 124, 12, data.size());
    octal(h + 136, 12, 1700000000);
    h[156] = type;
    memcpy(h + 157, link.data(), std::min<size_t>(link.size(), 100));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    snprintf(h + 148, 8, "%06o", sum);
    out_.append(h, sizeof h);
    out_ += data;
    out_.append((512 - data.size() % 512) % 512, '\0');
  }
  std::string out_;
  unsigned uid_ = 0;
  unsigned gid_ = 0;
};

// A temp directory removed (without crossing mounts) when the test ends.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/arca-image-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_tree_at(AT_FDCWD, path_, path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline std::string slurp(const std::string& path) {
  std::string out;
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return "<missing>";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  fclose(f);
  return out;
}

inline void spit(const std::string& path, const std::string& data) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return;
  fwrite(data.data(), 1, data.size(), f);
  fclose(f);
}

inline bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace arca::image::testing
