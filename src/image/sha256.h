// SHA-256 for content addresses ("sha256:<hex>"), from nettle (which the static libarchive
// link brings in anyway).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/error.h"

namespace arca::image {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  // "sha256:" + 64 lower-case hex digits. Ends the computation.
  std::string digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The digest of a string (for tests and small blobs).
std::string sha256_of(const std::string& data);

// The digest of everything readable from fd (from its current offset).
Result<std::string> sha256_of_fd(int fd, const std::string& what);

// "sha256:<64 hex>"; anything else (other algorithms, bad length, upper case) is refused,
// since digests become file names in the cache.
bool is_sha256_digest(const std::string& digest);

}  // namespace arca::image
