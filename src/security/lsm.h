// Linux security modules: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
//
// What happens without the LSM follows runc 1.1 (checked against runc 1.1.5 on a host with
// neither AppArmor nor SELinux; tests/integration/test_escapes.py pins it):
//  - apparmorProfile: runc writes "exec <profile>" whether or not AppArmor is enabled, and
//    the kernel refuses it (EINVAL): the container fails to start. Same here.
//  - selinuxLabel: refused before anything is created ("SELinux is disabled").
//  - mountLabel: passed as context="<label>" to every new filesystem but proc, sysfs and
//    the cgroup2 mount, and to the tmpfs of masked directories; without SELinux the
//    filesystem rejects the option (EINVAL). mqueue alone is retried without the label
//    (runc: older kernels cannot label it). Binds are never labelled.
#pragma once

#include <string>

#include "base/error.h"
#include "plan/launch.h"
#include "spec/config.h"

namespace arca::security {

bool selinux_enabled();

// Parent side, before anything exists: the checks runc makes up front (for create, and
// for the process `exec` runs).
Status check_lsm_config(const spec::Config& config);
Status check_process_labels(const spec::Process& process);

// Init side, after pivot_root and before execve: the labels take effect at the next
// execve. Written only through the verified procfs (security/procfs.h) so a fake /proc
// cannot swallow them (CVE-2019-16884).
Status set_exec_labels(const plan::Launch& launch);

// `data` with the SELinux context option for `label` appended ("" label: data as is).
// The label is quoted: an MCS label ("s0:c1,c2") contains commas.
std::string with_mount_label(const std::string& data, const std::string& label);

}  // namespace arca::security
