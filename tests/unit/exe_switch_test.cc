// exe_mappings: which lines of /proc/self/maps are the binary, and which keep their
// contents when arca moves onto the read-only view of itself.
#include "security/exe_switch.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

namespace arca::security {
namespace {

const char kMaps[] =
    "00400000-00401000 r--p 00000000 fe:00 933889    /usr/bin/arca\n"
    "00401000-0059d000 r-xp 00001000 fe:00 933889    /usr/bin/arca\n"
    "0059d000-0061e000 r--p 0019d000 fe:00 933889    /usr/bin/arca\n"
    "0061e000-00626000 r--p 0021e000 fe:00 933889    /usr/bin/arca\n"
    "00626000-00629000 rw-p 00226000 fe:00 933889    /usr/bin/arca\n"
    "00629000-00630000 rw-p 00000000 00:00 0\n"
    "01e4f000-01e71000 rw-p 00000000 00:00 0         [heap]\n"
    "7f0000000000-7f0000001000 r--p 00000000 fe:00 12 /usr/lib/other\n"
    "7ffd1c5b5000-7ffd1c5d6000 rw-p 00000000 00:00 0 [stack]\n";

TEST(ExeSwitch, FindsTheBinarysMappings) {
  auto m = exe_mappings(kMaps, "fe:00", 933889, 0x61e000, 0x630000);
  ASSERT_TRUE(m) << m.error().render();
  ASSERT_EQ(m->size(), 5u);
  EXPECT_EQ((*m)[1].start, 0x401000u);
  EXPECT_EQ((*m)[1].end, 0x59d000u);
  EXPECT_EQ((*m)[1].offset, 0x1000u);
  EXPECT_EQ((*m)[1].prot, PROT_READ | PROT_EXEC);
  EXPECT_FALSE((*m)[0].keep_contents);
  EXPECT_FALSE((*m)[1].keep_contents);
  EXPECT_FALSE((*m)[2].keep_contents);
  // RELRO (read-only now, relocated at start-up) and .data keep what they hold.
  EXPECT_TRUE((*m)[3].keep_contents);
  EXPECT_EQ((*m)[3].prot, PROT_READ);
  EXPECT_TRUE((*m)[4].keep_contents);
  EXPECT_EQ((*m)[4].prot, PROT_READ | PROT_WRITE);
}

TEST(ExeSwitch, OtherFilesAndAnonymousMemoryAreLeftAlone) {
  auto m = exe_mappings(kMaps, "fe:00", 12, 0, 0);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].start, 0x7f0000000000u);
  auto none = exe_mappings(kMaps, "fe:01", 933889, 0, 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(ExeSwitch, SharedOrGarbledLinesAreErrors) {
  EXPECT_FALSE(exe_mappings("00400000-00401000 r--s 00000000 fe:00 7 /x\n", "fe:00", 7, 0, 0));
  EXPECT_FALSE(exe_mappings("00400000 r--p 00000000 fe:00 7 /x\n", "fe:00", 7, 0, 0));
}

}  // namespace
}  // namespace arca::security
