// A one-line progress bar on stderr while an image is unpacked, only when stderr is a
// terminal (the caller decides); redrawn at most every 1% or 100 ms.
#pragma once

#include <cstdint>
#include <string>

namespace arca::image {

class Progress {
 public:
  Progress(bool enabled, std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(uint64_t done);
  // Clears the line.
  void finish();

  // The line for `done` of `total` bytes (pure, for tests): "label  42% [####    ] 1.3/3.1 MB".
  static std::string render(const std::string& label, uint64_t done, uint64_t total);

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string label_;
  uint64_t total_;
  int last_percent_ = -1;
  uint64_t last_ns_ = 0;
};

}  // namespace arca::image
