// The pure mapping from linux.resources to cgroup v2 control-file writes.
#pragma once

#include <vector>

#include "base/error.h"
#include "cgroups/resources.h"

namespace arca::cgroups {

// The writes, in order: cpuset, memory, cpu, pids, io, hugetlb, rdma, then unified
// entries verbatim (which therefore win over the mapped ones).
//
// Conversions (as runc and crun do):
//  - memory.swap.max = swap - limit (OCI swap is memory+swap); -1 stays "max".
//  - cpu.weight = 1 + ((shares - 2) * 9999) / 262142.
//  - io.weight = 1 + ((weight - 10) * 9999) / 990 (blkio 10..1000 -> io 1..10000).
//  - cpu.max = "<quota|max> <period>".
//  - io.max: one "maj:min rbps=.. wbps=.. riops=.. wiops=.." line per device; a rate of 0
//    is "max" (no limit), as 0 means in v1.
// Ignored on v2 (no equivalent, runc ignores them too): memory.kernel, kernelTCP,
// swappiness, disableOOMKiller, useHierarchy, blockIO.leafWeight and per-device
// leafWeight. Errors: realtime cpu settings, network (net_cls/net_prio are v1-only).
// Devices are not files on v2: see device_policy.h (an eBPF program).
Result<std::vector<Write>> v2_writes(const Resources& r);

// The ordered device rule list to enforce: deny everything, then resources.devices in
// order, with v1's meaning (device_policy.h). Empty when resources.devices is absent.
std::vector<DeviceRule> device_rules(const Resources& r);

// The conversions, exposed for `update` and tests.
uint64_t shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI memory.swap (memory+swap) to memory.swap.max; nullopt when nothing is to be written.
Result<std::optional<int64_t>> swap_to_v2(const Memory& m);

}  // namespace arca::cgroups
