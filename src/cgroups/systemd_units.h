// The pure half of the systemd cgroup driver: which unit a container gets, the properties
// StartTransientUnit is given (as runc's systemd driver sets them), and which D-Bus address
// reaches systemd. The conversation itself is systemd_manager.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "cgroups/paths.h"
#include "cgroups/resources.h"
#include "dbus/wire.h"

namespace arca::cgroups {

// "<prefix>-<name>.scope" ("<name>.scope" without a prefix). A `name` that is a slice is
// refused: arca only makes scopes.
Result<std::string> systemd_unit_name(const CgroupsPath& path);

// StartTransientUnit's a(sv): Description, Slice, Delegate, PIDs=[pid], DefaultDependencies,
// the accounting switches and the resources systemd itself knows (v1: MemoryLimit,
// CPUShares, BlockIOWeight; v2: MemoryMax, CPUWeight, IOWeight, converted as v2_files.h
// does; both: TasksMax, CPUQuotaPerSecUSec). The rest goes through the cgroupfs writers afterwards.
dbus::Value unit_properties(const CgroupsPath& path, pid_t pid, const Resources* resources,
                            bool v2);

// CPUQuotaPerSecUSec for a quota and period in µs (period 0: 100000), rounded up to whole
// 10 ms as systemd would; UINT64_MAX for no limit.
uint64_t cpu_quota_per_sec(int64_t quota, uint64_t period);

// The replies that tell where systemd put a unit: GetUnit(name) answers the unit's object
// path ("o"), and Properties.Get("org.freedesktop.systemd1.Scope", "ControlGroup") a variant
// string, the unit's cgroup below systemd's root ("/system.slice/x.scope"). A control group
// that is empty, "/", relative or has "", "." or ".." components is refused.
Result<std::string> unit_object_path(const dbus::Message& get_unit_reply);
Result<std::string> unit_control_group(const dbus::Message& get_reply);

struct SystemdBus {
  std::string address;         // "unix:path=..." or a socket path
  bool bus = false;            // a bus daemon (Hello, AddMatch) rather than systemd's own socket
  int64_t timeout_ms = 30000;  // for each job
};
// ARCA_SYSTEMD_BUS (a test hook: a bus daemon's "unix:path=/x", with
// ARCA_SYSTEMD_TIMEOUT_MS optionally shortening the job timeout) when set; else systemd's
// private socket for root, else the system bus.
SystemdBus systemd_bus();
// True when ARCA_SYSTEMD_BUS names a bus, which also stands in for "systemd is PID 1".
bool systemd_bus_overridden();

}  // namespace arca::cgroups
