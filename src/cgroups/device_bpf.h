// Loading and attaching a cgroup v2 device program (the syscall side of device_policy.h).
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <vector>

#include "base/error.h"

namespace arca::cgroups {

// Loads `program` (BPF_PROG_TYPE_CGROUP_DEVICE) and attaches it to the cgroup2 directory
// `cgroup_fd` with BPF_F_ALLOW_MULTI, then detaches the device programs that were attached
// there before (arca's, from create or an earlier update), as runc does. While both are
// attached both must allow an access, so the swap never lets through what either refuses.
Status install_device_program(int cgroup_fd, const std::vector<bpf_insn>& program);

// The ids of the device programs attached directly to the cgroup (BPF_PROG_QUERY).
Result<std::vector<uint32_t>> attached_device_programs(int cgroup_fd);

}  // namespace arca::cgroups
