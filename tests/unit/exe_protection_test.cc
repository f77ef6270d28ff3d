// binary_exposure: when a container could write the arca binary through /proc/<pid>/exe
// (CVE-2019-5736), so arca must run from a sealed copy, and when it provably cannot.
#include "security/exe_protection.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

namespace arca::security {
namespace {

plan::Launch userns(const std::string& uid_map, const std::string& gid_map) {
  plan::Launch l;
  l.new_user_ns = true;
  l.clone_flags = CLONE_NEWUSER;
  l.uid_map = uid_map;
  l.gid_map = gid_map;
  return l;
}

BinaryFacts root_owned(mode_t mode) {
  BinaryFacts b;
  b.uid = 0;
  b.gid = 0;
  b.mode = mode;
  return b;
}

TEST(ExeProtection, IdMaps) {
  EXPECT_TRUE(id_is_mapped("0 1000 1\n", 1000));
  EXPECT_FALSE(id_is_mapped("0 1000 1\n", 0));
  EXPECT_FALSE(id_is_mapped("0 1000 1\n", 1001));
  EXPECT_TRUE(id_is_mapped("0 100000 65536\n", 165535));
  EXPECT_FALSE(id_is_mapped("0 100000 65536\n", 165536));
  EXPECT_TRUE(id_is_mapped("0 1000 1\n1 0 1\n", 0));
  EXPECT_TRUE(id_is_mapped("0 0 4294967295\n", 0));
  EXPECT_FALSE(id_is_mapped("", 0));
}

TEST(ExeProtection, HostUserNamespaceIsExposed) {
  plan::Launch l;  // no user namespace: container root is host root for file permissions
  EXPECT_NE(binary_exposure(l, root_owned(0755)), "");
  EXPECT_NE(binary_exposure(l, root_owned(0555)), "");  // root needs no write bit
}

TEST(ExeProtection, ReadOnlyMountIsNeverExposed) {
  plan::Launch l;
  BinaryFacts b = root_owned(0777);
  b.readonly_mount = true;
  EXPECT_EQ(binary_exposure(l, b), "");
}

TEST(ExeProtection, JoinedUserNamespaceIsExposed) {
  // The maps of a namespace joined by path are not in the plan: assume the worst.
  plan::Launch l = userns("", "");
  l.joins.push_back({CLONE_NEWUSER, "user", "/proc/1/ns/user"});
  EXPECT_NE(binary_exposure(l, root_owned(0755)), "");
}

TEST(ExeProtection, UserNamespaceWithoutTheOwnerIsSafe) {
  EXPECT_EQ(binary_exposure(userns("0 100000 65536\n", "0 100000 65536\n"), root_owned(0755)), "");
  // A rootless caller's single mapping, binary owned by root.
  EXPECT_EQ(binary_exposure(userns("0 1000 1\n", "0 1000 1\n"), root_owned(0755)), "");
}

TEST(ExeProtection, UserNamespaceMappingTheOwnerIsExposed) {
  EXPECT_NE(binary_exposure(userns("0 0 65536\n", "0 0 65536\n"), root_owned(0755)), "");
  BinaryFacts own = root_owned(0755);
  own.uid = 1000;  // a binary the rootless caller built and owns
  EXPECT_NE(binary_exposure(userns("0 1000 1\n", "0 1000 1\n"), own), "");
}

TEST(ExeProtection, WritableGroupOrOthersAreExposed) {
  auto l = userns("0 100000 65536\n", "0 100000 65536\n");
  BinaryFacts group = root_owned(0775);
  group.gid = 100005;
  EXPECT_NE(binary_exposure(l, group), "");
  group.gid = 50;  // group-writable, but that group is not in the container
  EXPECT_EQ(binary_exposure(l, group), "");
  EXPECT_NE(binary_exposure(l, root_owned(0757)), "");
}

TEST(ExeProtection, RunningBinaryFactsDescribeTheTestBinary) {
  auto facts = running_binary_facts();
  ASSERT_TRUE(facts) << facts.error().render();
  EXPECT_NE(facts->mode & S_IXUSR, 0u);
  EXPECT_FALSE(running_from_sealed_copy());
}

}  // namespace
}  // namespace arca::security
