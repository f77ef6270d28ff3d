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
// Devices are not files on v2; see device_rules() and the eBPF work.
Result<std::vector<Write>> v2_writes(const Resources& r);

// The ordered device rule list to enforce: deny everything, then resources.devices in
// order, then default_device_rules() (the last matching rule wins). Empty when
// resources.devices is absent.
// TODO(cgroups): compile this into a BPF_PROG_TYPE_CGROUP_DEVICE program for v2 and
// attach it to the container's cgroup; that is later work, this is its input.
std::vector<DeviceRule> device_rules(const Resources& r);

// Allowed after the config's rules whatever they say, as runc does: the runtime-spec's
// default devices (/dev/null, zero, full, random, urandom, tty, ptmx, the pts) must work in
// every container, and engines (Podman) send only "deny all" and rely on this. Also mknod
// of any device and /dev/net/tun, which runc allows too and workloads expect.
std::vector<DeviceRule> default_device_rules();

// The conversions, exposed for `update` and tests.
uint64_t shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI memory.swap (memory+swap) to memory.swap.max; nullopt when nothing is to be written.
Result<std::optional<int64_t>> swap_to_v2(const Memory& m);

}  // namespace arca::cgroups
