// libFuzzer target: bytes as an archive, read with libarchive and written by the safe
// extractor (src/image/extract.h) into a scratch directory, as a plain tarball and as an
// image layer (whiteouts).
//
// Properties checked (anything else is found by ASan/UBSan):
//   * nothing is ever created outside the target: a sibling directory and the scratch
//     directory itself hold exactly what they held before, whatever the archive says
//     (../, absolute names, symlinks and hardlinks pointing out, writes through them);
//   * every Error renders to exactly one non-empty line;
//   * no exception escapes.
// Build and run with: FUZZ_TARGET=archive scripts/fuzz.sh
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "base/remove_tree.h"
#include "image/archive_reader.h"
#include "image/extract.h"
#include "image/files.h"

namespace {

std::string g_base;  // scratch dir: holds root/ (the target) and outside/ (the canary)

void die(const std::string& what) {
  std::fprintf(stderr, "archive_fuzzer: %s\n", what.c_str());
  std::abort();
}

void check_error(const arca::Error& e) {
  std::string line = e.render();
  if (line.empty() || line.find('\n') != std::string::npos) {
    die("error does not render to one non-empty line: [" + line + "]");
  }
}

std::vector<std::string> names_in(const std::string& dir) {
  arca::UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) die("open " + dir);
  auto names = arca::image::list_dir(fd.get(), dir);
  if (!names) die(names.error().render());
  return *names;
}

void extract_once(const uint8_t* data, size_t size, bool layer) {
  std::string root = g_base + "/root";
  if (mkdir(root.c_str(), 0755) != 0) die("mkdir root");
  {
    arca::UniqueFd root_fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto reader = arca::image::ArchiveReader::open_memory(data, size, "fuzz.tar");
    if (!reader) {
      check_error(reader.error());
    } else {
      arca::image::ExtractOptions options;
      options.layer = layer;
      options.max_bytes = 8 << 20;
      auto stats = arca::image::extract(*reader, root_fd.get(), options);
      if (!stats) check_error(stats.error());
    }
  }
  auto outside = names_in(g_base + "/outside");
  if (outside.size() != 1 || outside[0] != "canary") die("something was written next to root");
  auto top = names_in(g_base);
  if (top.size() != 2) die("something was written into the scratch dir");
  // The tree may hold read-only directories; removal as root ignores modes, otherwise
  // the fuzzer runs as root anyway in CI.
  if (auto s = arca::remove_tree_at(AT_FDCWD, root, root); !s) die(s.error().render());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/dev/shm/arca-archive-fuzz-XXXXXX";
  char fallback[] = "/tmp/arca-archive-fuzz-XXXXXX";
  const char* made = mkdtemp(tmpl);
  if (made == nullptr) made = mkdtemp(fallback);
  if (made == nullptr) die("mkdtemp");
  g_base = made;
  if (mkdir((g_base + "/outside").c_str(), 0755) != 0) die("mkdir outside");
  int fd = open((g_base + "/outside/canary").c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd < 0) die("create canary");
  close(fd);
  // Paths in archives may point anywhere on this host; they must land inside root.
  std::atexit([] { (void)arca::remove_tree_at(AT_FDCWD, g_base, g_base); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    extract_once(data, size, false);
    extract_once(data, size, true);
  } catch (const std::exception& e) {
    die(std::string("uncaught exception: ") + e.what());
  } catch (...) {
    die("uncaught non-std exception");
  }
  return 0;
}
