// The child-side checks of src/security: the verified procfs, confinement to the root,
// the null-device check behind masking, and mount-label options.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>

#include "plan/launch.h"
#include "security/confinement.h"
#include "security/lsm.h"
#include "security/procfs.h"

namespace arca::security {
namespace {

TEST(Procfs, OpensTheRootOfProc) {
  auto proc = open_procfs_root();
  ASSERT_TRUE(proc) << proc.error().render();
}

TEST(Procfs, WritesBeneathItThroughThreadSelf) {
  auto proc = open_procfs_root();
  ASSERT_TRUE(proc);
  char before[16] = {};
  prctl(PR_GET_NAME, before, 0, 0, 0);
  ASSERT_TRUE(write_proc_file(proc->get(), "thread-self/comm", "arca-unit-x"));
  char after[16] = {};
  prctl(PR_GET_NAME, after, 0, 0, 0);
  EXPECT_STREQ(after, "arca-unit-x");
  prctl(PR_SET_NAME, before, 0, 0, 0);
}

TEST(Procfs, RefusesToLeaveIt) {
  auto proc = open_procfs_root();
  ASSERT_TRUE(proc);
  // ".." and absolute paths are outside RESOLVE_BENEATH; /proc/self/cwd is a magic link.
  EXPECT_EQ(write_proc_file(proc->get(), "../tmp/x", "1").error().code(), EXDEV);
  EXPECT_EQ(write_proc_file(proc->get(), "/tmp/x", "1").error().code(), EXDEV);
  EXPECT_EQ(write_proc_file(proc->get(), "self/cwd/x", "1").error().code(), ELOOP);
  auto e = write_proc_file(proc->get(), "no-such-file", "1");
  EXPECT_EQ(e.error().render(), "open \"/proc/no-such-file\": No such file or directory");
}

TEST(Confinement, NullDevice) {
  UniqueFd null(open("/dev/null", O_PATH | O_CLOEXEC));
  UniqueFd zero(open("/dev/zero", O_PATH | O_CLOEXEC));
  UniqueFd file(open("/proc/self/exe", O_PATH | O_CLOEXEC));
  EXPECT_TRUE(check_is_dev_null(null.get()));
  EXPECT_FALSE(check_is_dev_null(zero.get()));
  EXPECT_EQ(check_is_dev_null(file.get()).error().render(),
            "\"/dev/null\" in the container is not the null device");
}

TEST(Confinement, CwdInsideTheRoot) { EXPECT_TRUE(check_cwd_inside_root()); }

TEST(Lsm, MountLabelOption) {
  EXPECT_EQ(with_mount_label("mode=755", ""), "mode=755");
  EXPECT_EQ(with_mount_label("", "system_u:object_r:container_file_t:s0:c1,c2"),
            "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  EXPECT_EQ(with_mount_label("mode=755,size=65536k", "l"), "mode=755,size=65536k,context=\"l\"");
}

TEST(Lsm, SelinuxLabelNeedsSelinux) {
  spec::Config c;
  EXPECT_TRUE(check_lsm_config(c));
  c.process.selinux_label = "system_u:system_r:container_t:s0";
  if (selinux_enabled()) GTEST_SKIP() << "SELinux is enabled here";
  EXPECT_EQ(check_lsm_config(c).error().render(),
            "config.json: /process/selinuxLabel: a SELinux label is set, but SELinux is "
            "disabled or not supported on this host");
}

TEST(Lsm, NothingToWriteWithoutLabels) {
  plan::Launch l;
  EXPECT_TRUE(set_exec_labels(l));
}

}  // namespace
}  // namespace arca::security

namespace arca::plan {
namespace {

TEST(PlanMountLabel, EveryNewFilesystemButProcSysfsAndCgroup2) {
  spec::Config c;
  c.root.path = "rootfs";
  c.linux.mount_label = "system_u:object_r:container_file_t:s0:c1,c2";
  for (const char* type : {"proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2"}) {
    spec::Mount m;
    m.type = type;
    m.source = type;
    m.destination = std::string("/") + type;
    c.mounts.push_back(m);
  }
  spec::Mount bind;
  bind.type = "bind";
  bind.source = "/tmp";
  bind.destination = "/mnt";
  bind.options = {"rbind"};
  c.mounts.push_back(bind);
  Launch l;
  ASSERT_TRUE(plan_filesystem(c, "/b", &l));
  std::vector<std::string> labelled;
  for (const auto& m : l.mounts) {
    if (!m.label.empty()) {
      EXPECT_EQ(m.label, c.linux.mount_label);
      labelled.push_back(m.destination);
    }
  }
  EXPECT_EQ(labelled, (std::vector<std::string>{"/tmpfs", "/devpts", "/mqueue", "/cgroup"}));
  EXPECT_EQ(l.mount_label, c.linux.mount_label);
}

}  // namespace
}  // namespace arca::plan
