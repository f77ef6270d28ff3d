#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>

#include "plan/launch.h"

namespace arca::plan {
namespace {

struct FlagCase {
  const char* option;
  unsigned long flags;
  unsigned long clear_flags;
};

class PlanMountFlag : public testing::TestWithParam<FlagCase> {};

TEST_P(PlanMountFlag, MapsToFlags) {
  const FlagCase& c = GetParam();
  auto parsed = parse_mount_options({c.option});
  ASSERT_TRUE(parsed.ok()) << parsed.error().render();
  EXPECT_EQ(parsed->flags, c.flags) << c.option;
  EXPECT_EQ(parsed->clear_flags, c.clear_flags) << c.option;
  EXPECT_TRUE(parsed->data.empty()) << c.option;
  EXPECT_TRUE(parsed->propagation.empty()) << c.option;
}

INSTANTIATE_TEST_SUITE_P(
    Plan, PlanMountFlag,
    testing::Values(
        FlagCase{"defaults", 0, 0}, FlagCase{"ro", MS_RDONLY, 0}, FlagCase{"rw", 0, MS_RDONLY},
        FlagCase{"nosuid", MS_NOSUID, 0}, FlagCase{"suid", 0, MS_NOSUID},
        FlagCase{"nodev", MS_NODEV, 0}, FlagCase{"dev", 0, MS_NODEV},
        FlagCase{"noexec", MS_NOEXEC, 0}, FlagCase{"exec", 0, MS_NOEXEC},
        FlagCase{"sync", MS_SYNCHRONOUS, 0}, FlagCase{"async", 0, MS_SYNCHRONOUS},
        FlagCase{"dirsync", MS_DIRSYNC, 0}, FlagCase{"remount", MS_REMOUNT, 0},
        FlagCase{"mand", MS_MANDLOCK, 0}, FlagCase{"nomand", 0, MS_MANDLOCK},
        FlagCase{"noatime", MS_NOATIME, 0}, FlagCase{"atime", 0, MS_NOATIME},
        FlagCase{"nodiratime", MS_NODIRATIME, 0}, FlagCase{"diratime", 0, MS_NODIRATIME},
        FlagCase{"relatime", MS_RELATIME, 0}, FlagCase{"norelatime", 0, MS_RELATIME},
        FlagCase{"strictatime", MS_STRICTATIME, 0}, FlagCase{"nostrictatime", 0, MS_STRICTATIME},
        FlagCase{"lazytime", MS_LAZYTIME, 0}, FlagCase{"nolazytime", 0, MS_LAZYTIME},
        FlagCase{"silent", MS_SILENT, 0}, FlagCase{"loud", 0, MS_SILENT},
        FlagCase{"iversion", MS_I_VERSION, 0}, FlagCase{"noiversion", 0, MS_I_VERSION},
        FlagCase{"nosymfollow", MS_NOSYMFOLLOW, 0}, FlagCase{"symfollow", 0, MS_NOSYMFOLLOW},
        FlagCase{"bind", MS_BIND, 0}, FlagCase{"rbind", MS_BIND | MS_REC, 0}));

struct PropagationCase {
  const char* option;
  unsigned long flags;
};

class PlanMountPropagation : public testing::TestWithParam<PropagationCase> {};

TEST_P(PlanMountPropagation, GoesToPropagationList) {
  auto parsed = parse_mount_options({GetParam().option});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->flags, 0u);
  ASSERT_EQ(parsed->propagation.size(), 1u);
  EXPECT_EQ(parsed->propagation[0], GetParam().flags);
  auto direct = propagation_flags(GetParam().option);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(*direct, GetParam().flags);
}

INSTANTIATE_TEST_SUITE_P(Plan, PlanMountPropagation,
                         testing::Values(PropagationCase{"shared", MS_SHARED},
                                         PropagationCase{"rshared", MS_SHARED | MS_REC},
                                         PropagationCase{"slave", MS_SLAVE},
                                         PropagationCase{"rslave", MS_SLAVE | MS_REC},
                                         PropagationCase{"private", MS_PRIVATE},
                                         PropagationCase{"rprivate", MS_PRIVATE | MS_REC},
                                         PropagationCase{"unbindable", MS_UNBINDABLE},
                                         PropagationCase{"runbindable", MS_UNBINDABLE | MS_REC}));

TEST(PlanMountOptions, PropagationKeepsOrder) {
  auto parsed = parse_mount_options({"rprivate", "shared"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->propagation, (std::vector<unsigned long>{MS_PRIVATE | MS_REC, MS_SHARED}));
}

TEST(PlanMountOptions, UnknownPropagationName) {
  EXPECT_EQ(propagation_flags("rsharde").error().render(), "unknown propagation \"rsharde\"");
}

TEST(PlanMountOptions, LastOneWins) {
  auto ro_then_rw = parse_mount_options({"ro", "rw"});
  ASSERT_TRUE(ro_then_rw.ok());
  EXPECT_EQ(ro_then_rw->flags & MS_RDONLY, 0u);
  EXPECT_EQ(ro_then_rw->clear_flags, static_cast<unsigned long>(MS_RDONLY));

  auto rw_then_ro = parse_mount_options({"rw", "nosuid", "ro"});
  ASSERT_TRUE(rw_then_ro.ok());
  EXPECT_EQ(rw_then_ro->flags, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
  EXPECT_EQ(rw_then_ro->clear_flags, 0u);
}

TEST(PlanMountOptions, DataJoinedInOrder) {
  auto parsed = parse_mount_options(
      {"nosuid", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "noexec", "size=65536k"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->data, "newinstance,ptmxmode=0666,mode=0620,gid=5,size=65536k");
  EXPECT_EQ(parsed->flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
}

TEST(PlanMountOptions, ROptionsThatAreFsDataStayData) {
  auto parsed = parse_mount_options({"rsize=8192", "rtsig"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->data, "rsize=8192,rtsig");
}

TEST(PlanMountOptions, BindRroTmpcopyup) {
  auto parsed = parse_mount_options({"rbind", "rro"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->bind);
  EXPECT_TRUE(parsed->recursive_readonly);
  EXPECT_FALSE(parsed->tmpcopyup);
  EXPECT_EQ(parsed->flags, static_cast<unsigned long>(MS_BIND | MS_REC));

  auto copyup = parse_mount_options({"tmpcopyup"});
  ASSERT_TRUE(copyup.ok());
  EXPECT_TRUE(copyup->tmpcopyup);
  EXPECT_FALSE(copyup->bind);
  EXPECT_TRUE(copyup->data.empty());
}

TEST(PlanMountOptions, UnsupportedOptionsAreErrors) {
  for (const char* option : {"idmap", "ridmap", "rrw", "rnosuid", "rnoexec", "rnodev", "ratime",
                             "rnoatime", "rstrictatime", "rnosymfollow"}) {
    auto parsed = parse_mount_options({"bind", option});
    ASSERT_FALSE(parsed.ok()) << option;
    EXPECT_EQ(parsed.error().render(), std::string("unsupported mount option \"") + option + "\"");
  }
}

TEST(PlanMountOptions, NamesAreAllAccepted) {
  auto names = mount_option_names();
  EXPECT_EQ(names.size(), 43u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const auto& name : names) {
    auto parsed = parse_mount_options({name});
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_TRUE(parsed->data.empty()) << name;
  }
}

struct RemountCase {
  bool bind;
  unsigned long flags;
  bool expected;
};

class PlanNeedsRemount : public testing::TestWithParam<RemountCase> {};

TEST_P(PlanNeedsRemount, Decides) {
  MountStep step;
  step.bind = GetParam().bind;
  step.flags = GetParam().flags;
  EXPECT_EQ(step.needs_remount(), GetParam().expected) << std::hex << step.flags;
}

INSTANTIATE_TEST_SUITE_P(Plan, PlanNeedsRemount,
                         testing::Values(RemountCase{true, MS_BIND, false},
                                         RemountCase{true, MS_BIND | MS_REC, false},
                                         RemountCase{true, MS_BIND | MS_RDONLY, true},
                                         RemountCase{true, MS_BIND | MS_NOSUID, true},
                                         RemountCase{true, MS_BIND | MS_NODEV, true},
                                         RemountCase{true, MS_BIND | MS_NOEXEC, true},
                                         RemountCase{true, MS_BIND | MS_NOATIME, true},
                                         RemountCase{true, MS_BIND | MS_NODIRATIME, true},
                                         RemountCase{true, MS_BIND | MS_RELATIME, true},
                                         RemountCase{true, MS_BIND | MS_STRICTATIME, true},
                                         RemountCase{true, MS_BIND | MS_SYNCHRONOUS, false},
                                         RemountCase{false, MS_RDONLY | MS_NOSUID, false}));

}  // namespace
}  // namespace arca::plan
