// Device programs in the real kernel: the verifier accepts what device_program() emits, and
// attached to a cgroup2 directory (this host's unified hierarchy works too: cgroup-bpf does
// not need v1 to be gone) they decide a child's open() as the rules say; a second install
// replaces the first. Needs root; skipped otherwise. The test cgroup is made below the
// test's own cgroup2 cgroup and removed at the end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/unique_fd.h"
#include "cgroups/container_resources.h"
#include "cgroups/device_bpf.h"
#include "cgroups/device_policy.h"
#include "cgroups/paths.h"

namespace arca::cgroups {
namespace {

std::string slurp(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class DeviceBpf : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    auto host = host_cgroups(slurp("/proc/self/cgroup"), slurp("/proc/self/mountinfo"));
    if (!host || !host->unified) GTEST_SKIP() << "no cgroup2 hierarchy";
    dir_ = host->unified->mount_point + join_path(host->unified->own_path,
                                                  "arca-unit-bpf-" + std::to_string(getpid()));
    if (mkdir(dir_.c_str(), 0755) != 0) GTEST_SKIP() << "cannot create " << dir_;
    fd_.reset(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(fd_.valid());
  }
  void TearDown() override {
    fd_.reset();
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  // Bit 0: /dev/null opened read-write; bit 1: /dev/zero opened read-only; 100+: setup.
  int probe_in_cgroup() {
    pid_t pid = fork();
    if (pid == 0) {
      int procs = open((dir_ + "/cgroup.procs").c_str(), O_WRONLY);
      if (procs < 0 || write(procs, "0", 1) != 1) _exit(100);
      int result = 0;
      int null_fd = open("/dev/null", O_RDWR);
      if (null_fd >= 0) result |= 1;
      int zero_fd = open("/dev/zero", O_RDONLY);
      if (zero_fd >= 0) result |= 2;
      _exit(result);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string dir_;
  UniqueFd fd_;
};

TEST_F(DeviceBpf, AttachedProgramDecidesAndUpdateReplacesIt) {
  EXPECT_EQ(probe_in_cgroup(), 3);  // nothing attached yet
  // runc spec's "deny all" plus the defaults: /dev/null and /dev/zero both allowed.
  DevicePolicy defaults = device_policy(default_device_rules({}));
  // Only /dev/null: /dev/zero is refused.
  DevicePolicy only_null =
      device_policy({DeviceRule{true, 'c', 1, 3, "rwm"}, DeviceRule{true, 'c', 1, 5, "m"}});
  auto s = install_device_program(fd_.get(), device_program(only_null));
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(probe_in_cgroup(), 1);
  auto ids = attached_device_programs(fd_.get());
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids->size(), 1u);
  uint32_t first = ids->front();
  // `update`: the new program replaces the old one rather than stacking on it.
  s = install_device_program(fd_.get(), device_program(defaults));
  ASSERT_TRUE(s) << s.error().render();
  EXPECT_EQ(probe_in_cgroup(), 3);
  ids = attached_device_programs(fd_.get());
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_NE(ids->front(), first);
  // An allow-by-default policy with a denial.
  DevicePolicy no_zero = apply_device_rules(DevicePolicy{}, {DeviceRule{false, 'c', 1, 5, "r"}});
  ASSERT_TRUE(install_device_program(fd_.get(), device_program(no_zero)));
  EXPECT_EQ(probe_in_cgroup(), 1);
}

TEST_F(DeviceBpf, VerifierAcceptsLargePrograms) {
  std::vector<DeviceRule> rules;
  for (int i = 0; i < 500; ++i) {
    rules.push_back(DeviceRule{i % 3 != 0, i % 2 ? 'b' : 'c', i, i % 7 ? std::optional<int64_t>(i)
                                                                       : std::nullopt,
                               i % 5 ? "rw" : "rwm"});
  }
  auto s = install_device_program(fd_.get(), device_program(device_policy(rules)));
  EXPECT_TRUE(s) << s.error().render();
}

}  // namespace
}  // namespace arca::cgroups
