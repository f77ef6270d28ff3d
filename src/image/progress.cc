#include "image/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace arca::image {

namespace {

uint64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void put(const std::string& text) {
  ssize_t ignored = write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

}  // namespace

Progress::Progress(bool enabled, std::string label, uint64_t total)
    : enabled_(enabled), label_(std::move(label)), total_(total) {}

Progress::~Progress() { finish(); }

std::string Progress::render(const std::string& label, uint64_t done, uint64_t total) {
  constexpr int kWidth = 24;
  done = total > 0 ? std::min(done, total) : done;
  int percent = total > 0 ? static_cast<int>(done * 100 / total) : 0;
  std::string bar(static_cast<size_t>(percent * kWidth / 100), '#');
  bar.resize(kWidth, ' ');
  char line[256];
  snprintf(line, sizeof line, "%s %3d%% [%s] %.1f/%.1f MB", label.c_str(), percent, bar.c_str(),
           static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
  return line;
}

void Progress::update(uint64_t done) {
  if (!enabled_) return;
  int percent = total_ > 0 ? static_cast<int>(std::min(done, total_) * 100 / total_) : 0;
  uint64_t now = now_ns();
  if (percent == last_percent_ && now - last_ns_ < 100000000ull) return;
  last_percent_ = percent;
  last_ns_ = now;
  put("\r" + render(label_, done, total_) + "\033[K");
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) put("\r\033[K");
  drawn_ = false;
}

}  // namespace arca::image
