// The tar reader (libarchive) and the safe extractor, on archives built byte by byte.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/unique_fd.h"
#include "image/archive_reader.h"
#include "image/extract.h"
#include "image_testing.h"

namespace arca::image {
namespace {

using testing::exists;
using testing::slurp;
using testing::TarBuilder;
using testing::TempDir;

std::vector<Entry> entries_of(const std::string& bytes) {
  std::vector<Entry> out;
  auto reader = ArchiveReader::open_memory(bytes.data(), bytes.size(), "test.tar");
  EXPECT_TRUE(reader) << reader.error().render();
  if (!reader) return out;
  for (;;) {
    auto e = reader->next();
    EXPECT_TRUE(e) << e.error().render();
    if (!e || !*e) return out;
    out.push_back(**e);
  }
}

std::string gzip(const std::string& data) {
  z_stream z = {};
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Extracts `bytes` into dir/root (made first); returns the error text, "" on success.
std::string extract_into(const TempDir& dir, const std::string& bytes, bool layer = false) {
  mkdir((dir / "root").c_str(), 0755);
  UniqueFd root(open((dir / "root").c_str(), O_RDONLY | O_DIRECTORY));
  auto reader = ArchiveReader::open_memory(bytes.data(), bytes.size(), "test.tar");
  if (!reader) return reader.error().render();
  ExtractOptions options;
  options.layer = layer;
  auto stats = extract(*reader, root.get(), options);
  return stats ? "" : stats.error().render();
}

TEST(ImageArchiveReader, ReadsEveryEntryKind) {
  std::string tar = TarBuilder()
                        .dir("etc/")
                        .owner(1000, 100)
                        .file("etc/passwd", "root:x:0:0\n", 04755)
                        .owner(0, 0)
                        .symlink("bin/sh", "/bin/busybox")
                        .hardlink("etc/passwd2", "etc/passwd")
                        .fifo("run/fifo")
                        .device("dev/null")
                        .bytes();
  auto e = entries_of(tar);
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].type, EntryType::kDirectory);
  EXPECT_EQ(e[1].type, EntryType::kFile);
  EXPECT_EQ(e[1].mode, 04755u);
  EXPECT_EQ(e[1].uid, 1000u);
  EXPECT_EQ(e[1].gid, 100u);
  EXPECT_EQ(e[1].size, 11);
  EXPECT_EQ(e[1].mtime_sec, 1700000000);
  EXPECT_EQ(e[2].type, EntryType::kSymlink);
  EXPECT_EQ(e[2].link, "/bin/busybox");
  EXPECT_EQ(e[3].type, EntryType::kHardlink);
  EXPECT_EQ(e[3].link, "etc/passwd");
  EXPECT_EQ(e[4].type, EntryType::kFifo);
  EXPECT_EQ(e[5].type, EntryType::kDevice);
}

TEST(ImageArchiveReader, LongNames) {
  std::string name(180, 'n');
  name[90] = '/';
  std::string tar = TarBuilder().pax_file(name, "pax").gnu_long_file(name + "2", "gnu").bytes();
  auto e = entries_of(tar);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].name, name);
  EXPECT_EQ(e[1].name, name + "2");
}

TEST(ImageArchiveReader, GzipIsRecognisedByContent) {
  std::string tar = TarBuilder().file("a", "hello").bytes();
  auto e = entries_of(gzip(tar));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].name, "a");
}

TEST(ImageArchiveReader, GarbageAndTruncation) {
  std::string text(4096, 'x');
  auto reader = ArchiveReader::open_memory(text.data(), text.size(), "notes.txt");
  // libarchive may say so when opening or at the first header.
  auto e = reader ? reader->next() : Result<std::optional<Entry>>(reader.error());
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("notes.txt: unknown format"), std::string::npos)
      << e.error().message();

  std::string tar = gzip(TarBuilder().file("a", std::string(100000, 'a')).bytes());
  std::string cut = tar.substr(0, tar.size() / 2);
  TempDir dir;
  std::string err = extract_into(dir, cut);
  EXPECT_NE(err, "");
  EXPECT_NE(err.find("test.tar"), std::string::npos) << err;
}

TEST(ImageExtract, WritesFilesLinksAndMetadata) {
  TempDir dir;
  std::string tar = TarBuilder()
                        .dir("ro", 0555)
                        .file("ro/inside", "in", 0600)
                        .file("x/y/deep", "deep", 0640)  // parents not in the archive
                        .symlink("abs", "/etc/passwd")
                        .hardlink("ro/linked", "ro/inside")
                        .fifo("fifo")
                        .device("null")
                        .bytes();
  ASSERT_EQ(extract_into(dir, tar), "");
  std::string root = dir / "root";
  EXPECT_EQ(slurp(root + "/ro/inside"), "in");
  EXPECT_EQ(slurp(root + "/x/y/deep"), "deep");
  struct stat st;
  ASSERT_EQ(lstat((root + "/ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);  // applied after its entries
  ASSERT_EQ(lstat((root + "/x/y/deep").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  char link[64] = {};
  ASSERT_GT(readlink((root + "/abs").c_str(), link, sizeof link - 1), 0);
  EXPECT_STREQ(link, "/etc/passwd");  // kept as is: it resolves inside the container
  struct stat a, b;
  ASSERT_EQ(stat((root + "/ro/inside").c_str(), &a), 0);
  ASSERT_EQ(stat((root + "/ro/linked").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  ASSERT_EQ(lstat((root + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(exists(root + "/null"));  // devices are skipped
}

TEST(ImageExtract, OwnersKeptAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  TempDir dir;
  ASSERT_EQ(extract_into(dir, TarBuilder().owner(1234, 567).file("f", "x", 04755).bytes()), "");
  struct stat st;
  ASSERT_EQ(stat((dir / "root/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 567u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);  // set-uid survives the chown
}

TEST(ImageExtract, RefusesNamesThatLeave) {
  for (const char* name : {"../escape", "a/../../escape", "/abs/escape"}) {
    TempDir dir;
    std::string err = extract_into(dir, TarBuilder().file(name, "x").bytes());
    EXPECT_NE(err, "") << name;
    EXPECT_FALSE(exists(dir / "escape")) << name;
    EXPECT_FALSE(exists("/abs/escape"));
  }
  for (const char* target : {"../../outside", "/etc/passwd"}) {
    TempDir dir;
    std::string err = extract_into(dir, TarBuilder().hardlink("hl", target).bytes());
    EXPECT_NE(err.find("hardlink \"hl\""), std::string::npos) << err;
  }
}

TEST(ImageExtract, PlantedSymlinksLeadNowhereOutside) {
  TempDir dir;
  mkdir((dir / "outside").c_str(), 0755);
  testing::spit(dir / "outside/target", "host");
  std::string outside = dir / "outside";
  std::string tar = TarBuilder()
                        .symlink("evil", outside)
                        .file("evil/pwned", "x")
                        .symlink("rel", "../../../../../../../../" + outside)
                        .file("rel/pwned2", "y")
                        .symlink("f", outside + "/target")
                        .file("f", "overwritten")
                        .bytes();
  ASSERT_EQ(extract_into(dir, tar), "");
  EXPECT_EQ(slurp(outside + "/target"), "host");
  EXPECT_FALSE(exists(outside + "/pwned"));
  EXPECT_FALSE(exists(outside + "/pwned2"));
  // Followed as the container would follow them: inside the root.
  EXPECT_EQ(slurp(dir / ("root" + outside + "/pwned")), "x");
  EXPECT_EQ(slurp(dir / ("root" + outside + "/pwned2")), "y");
  struct stat st;
  ASSERT_EQ(lstat((dir / "root/f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));  // replaced, not written through
  EXPECT_EQ(slurp(dir / "root/f"), "overwritten");
}

TEST(ImageExtract, NeverWritesThroughAHardlink) {
  TempDir dir;
  std::string tar = TarBuilder().file("a", "orig").hardlink("b", "a").file("b", "new").bytes();
  ASSERT_EQ(extract_into(dir, tar), "");
  EXPECT_EQ(slurp(dir / "root/a"), "orig");
  EXPECT_EQ(slurp(dir / "root/b"), "new");
}

TEST(ImageExtract, ReplacesWhatIsThere) {
  TempDir dir;
  std::string tar = TarBuilder()
                        .dir("d")
                        .file("d/old", "1")
                        .file("d", "now a file")  // a directory replaced by a file
                        .file("s", "x")
                        .dir("s")  // and the other way round
                        .bytes();
  ASSERT_EQ(extract_into(dir, tar), "");
  EXPECT_EQ(slurp(dir / "root/d"), "now a file");
  struct stat st;
  ASSERT_EQ(lstat((dir / "root/s").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(ImageExtract, LayerWhiteoutsAndOpaqueDirectories) {
  TempDir dir;
  std::string lower = TarBuilder()
                          .file("data/keep", "k")
                          .file("data/gone", "g")
                          .file("data/sub/gone2", "g")
                          .file("opq/lower", "l")
                          .file("opq/sub/lower2", "l")
                          .bytes();
  ASSERT_EQ(extract_into(dir, lower, true), "");
  std::string upper = TarBuilder()
                          .file(".wh.nothing-there", "")
                          .file("data/.wh.gone", "")
                          .file("data/.wh.sub", "")
                          .file("opq/sub/mine", "m")  // before the marker: still kept
                          .file("opq/.wh..wh..opq", "")
                          .file("opq/upper", "u")
                          .file("new/.wh.x", "")  // whiteout in a dir lower layers lack
                          .file("again", "1")
                          .file(".wh.again", "")  // same layer: spared
                          .bytes();
  ASSERT_EQ(extract_into(dir, upper, true), "");
  std::string root = dir / "root";
  EXPECT_TRUE(exists(root + "/data/keep"));
  EXPECT_FALSE(exists(root + "/data/gone"));
  EXPECT_FALSE(exists(root + "/data/sub"));
  EXPECT_FALSE(exists(root + "/opq/lower"));
  EXPECT_FALSE(exists(root + "/opq/sub/lower2"));
  EXPECT_EQ(slurp(root + "/opq/sub/mine"), "m");
  EXPECT_EQ(slurp(root + "/opq/upper"), "u");
  EXPECT_EQ(slurp(root + "/again"), "1");
  EXPECT_FALSE(exists(root + "/data/.wh.gone"));  // markers are never written
  EXPECT_FALSE(exists(root + "/opq/.wh..wh..opq"));
}

TEST(ImageExtract, WhiteoutNamesAreFilesOutsideLayers) {
  TempDir dir;
  ASSERT_EQ(extract_into(dir, TarBuilder().file(".wh.x", "plain").bytes(), false), "");
  EXPECT_EQ(slurp(dir / "root/.wh.x"), "plain");
}

}  // namespace
}  // namespace arca::image
