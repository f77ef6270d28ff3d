#include "security/lsm.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "security/procfs.h"

namespace arca::security {

bool selinux_enabled() {
  // selinuxfs is mounted (at /sys/fs/selinux) exactly when SELinux is enabled.
  struct statfs fs;
  return statfs("/sys/fs/selinux", &fs) == 0 && fs.f_type == SELINUX_MAGIC;
}

Status check_process_labels(const spec::Process& process) {
  if (!process.selinux_label.empty() && !selinux_enabled()) {
    return Error::invalid(
        "/process/selinuxLabel: a SELinux label is set, but SELinux is disabled or not "
        "supported on this host");
  }
  return {};
}

Status check_lsm_config(const spec::Config& config) {
  auto checked = check_process_labels(config.process);
  if (!checked) return std::move(checked).error().context("config.json");
  return {};
}

Status set_exec_labels(const plan::Launch& launch) {
  if (launch.apparmor_profile.empty() && launch.selinux_label.empty()) return {};
  ARCA_ASSIGN(UniqueFd proc, open_procfs_root());
  if (!launch.apparmor_profile.empty()) {
    // Linux 5.8+ has AppArmor's own attr directory (shared with other LSMs' attr/exec);
    // without it (or without AppArmor) the generic file, where the kernel refuses it.
    const std::string value = "exec " + launch.apparmor_profile;
    auto written = write_proc_file(proc.get(), "thread-self/attr/apparmor/exec", value);
    if (!written && written.error().code() == ENOENT) {
      written = write_proc_file(proc.get(), "thread-self/attr/exec", value);
    }
    if (!written) {
      return std::move(written).error().context("apparmor profile " +
                                                quote(launch.apparmor_profile));
    }
  }
  if (!launch.selinux_label.empty()) {
    auto written = write_proc_file(proc.get(), "thread-self/attr/exec", launch.selinux_label);
    if (!written) {
      return std::move(written).error().context("selinux label " + quote(launch.selinux_label));
    }
  }
  return {};
}

std::string with_mount_label(const std::string& data, const std::string& label) {
  if (label.empty()) return data;
  return data + (data.empty() ? "" : ",") + "context=\"" + label + "\"";
}

}  // namespace arca::security
