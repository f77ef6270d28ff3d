// Device rules as the cgroup v1 device controller holds them, and the same policy as a
// cgroup v2 eBPF program. Pure: nothing here reads, loads or attaches (see device_bpf.h).
//
// linux.resources.devices is a list of allow/deny rules whose meaning runc and the kernel
// agree on: the rules are writes to v1's devices.allow / devices.deny, in order, and v1
// keeps the result as a default (allow or deny) plus exceptions. Running the same writes
// through apply_device_rules() gives the policy, which v1 enforces directly and which
// device_program() turns into a BPF_PROG_TYPE_CGROUP_DEVICE program for v2, so both
// versions decide every access the same way (as runc does with its devices emulator).
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/resources.h"

namespace arca::cgroups {

// Access bits, as both v1 and the eBPF context encode them (BPF_DEVCG_ACC_*).
inline constexpr uint32_t kAccessMknod = BPF_DEVCG_ACC_MKNOD;
inline constexpr uint32_t kAccessRead = BPF_DEVCG_ACC_READ;
inline constexpr uint32_t kAccessWrite = BPF_DEVCG_ACC_WRITE;
inline constexpr uint32_t kAccessAll = kAccessMknod | kAccessRead | kAccessWrite;
// "rwm" letters -> bits; unknown letters are ignored (parse_resources rejects them).
uint32_t access_bits(const std::string& rwm);

// One exception of the v1 controller: always a block or char device ('b' / 'c').
struct DeviceException {
  char type = 'c';
  std::optional<int64_t> major;  // nullopt = '*'
  std::optional<int64_t> minor;
  uint32_t access = kAccessAll;
  bool operator==(const DeviceException&) const = default;
};

struct DevicePolicy {
  bool default_allow = true;  // a new v1 cgroup under the root allows everything
  std::vector<DeviceException> exceptions;
  bool operator==(const DevicePolicy&) const = default;
};

// Applies `rules` in order to `policy`, as v1 applies writes (security/device_cgroup.c):
//  - a rule of type 'a' (whatever its numbers) resets: allow -> allow-all, deny -> deny-all,
//    and clears the exceptions;
//  - a rule that goes against the default adds an exception (its access merged into an
//    exception with the same type and numbers, if any);
//  - a rule that agrees with the default takes its access away from the exception with
//    exactly the same type and numbers (a wildcard does not cover a number here).
DevicePolicy apply_device_rules(DevicePolicy policy, const std::vector<DeviceRule>& rules);

// The policy for linux.resources.devices: deny-all, then the rules (device_rules()).
DevicePolicy device_policy(const std::vector<DeviceRule>& rules);

// v1's decision for one access (type 'b' or 'c', access bits): with a deny default, one
// exception must cover every requested bit; with an allow default, an exception sharing
// any requested bit refuses.
bool device_allowed(const DevicePolicy& policy, char type, uint32_t major, uint32_t minor,
                    uint32_t access);

// The policy as a BPF_PROG_TYPE_CGROUP_DEVICE program: returns 1 (allow) or 0 (deny) for
// the struct bpf_cgroup_dev_ctx in r1, deciding as device_allowed() does. Exceptions
// naming a number above INT32_MAX cannot match a device (majors have 12 bits, minors 20)
// and are left out.
std::vector<bpf_insn> device_program(const DevicePolicy& policy);

// The v1 writes (controller "devices") that turn the cgroup's current policy, read from
// its devices.list, into `target`. When the current one is known (a deny default: v1
// lists the exceptions), the missing access is added before the surplus is removed, so
// no access that both allow is refused in between; otherwise (an allow default, whose
// exceptions devices.list does not show) the cgroup is reset to target's default first.
Result<std::vector<Write>> device_transition(const std::string& devices_list,
                                             const DevicePolicy& target);

// "c 1:3 rwm" lines of devices.list -> the policy v1 holds ("a *:* rwm": allow-all).
Result<DevicePolicy> parse_devices_list(const std::string& text);

}  // namespace arca::cgroups
