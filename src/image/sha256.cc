#include "image/sha256.h"

#include <nettle/sha2.h>
#include <unistd.h>

namespace arca::image {

struct Sha256::State {
  sha256_ctx ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { sha256_init(&state_->ctx); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size) {
  sha256_update(&state_->ctx, size, static_cast<const uint8_t*>(data));
}

std::string Sha256::digest() {
  uint8_t raw[SHA256_DIGEST_SIZE];
  sha256_digest(&state_->ctx, sizeof raw, raw);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (uint8_t b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string sha256_of(const std::string& data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.digest();
}

Result<std::string> sha256_of_fd(int fd, const std::string& what) {
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("read " + what);
    if (n == 0) return h.digest();
    h.update(buf, static_cast<size_t>(n));
  }
}

bool is_sha256_digest(const std::string& digest) {
  const std::string prefix = "sha256:";
  if (digest.size() != prefix.size() + 64 || digest.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  for (size_t i = prefix.size(); i < digest.size(); ++i) {
    char c = digest[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace arca::image
