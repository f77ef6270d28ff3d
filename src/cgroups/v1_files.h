// The pure mapping from linux.resources to cgroup v1 control-file writes.
#pragma once

#include <vector>

#include "base/error.h"
#include "cgroups/resources.h"

namespace arca::cgroups {

// The writes, in the order to make them: cpuset, memory, cpu, pids, blkio, hugetlb,
// net_cls, net_prio, rdma, devices. Each write is one line the kernel accepts on its own
// (per-device files get one write per device).
//
// Notes on the mapping (runc's conventions):
//  - memory.swap is memory+swap, written to memory.memsw.limit_in_bytes; a limit of -1
//    with no swap also sets memsw to -1. The v1 backend reorders limit/memsw when the
//    kernel refuses the first (raising both needs memsw first).
//  - blkio.weight / blkio.weight_device fall back to blkio.bfq.* in the v1 backend when
//    the kernel has no CFQ files; the mapping names the CFQ files.
//  - devices (when present): "a" to devices.deny, then each rule of device_rules() in
//    order, skipping the leading deny-all.
//  - unified is an error: "/linux/resources/unified: requires cgroup v2".
Result<std::vector<Write>> v1_writes(const Resources& r);

}  // namespace arca::cgroups
