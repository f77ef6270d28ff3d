// linux.resources (OCI runtime-spec 1.2) as typed, validated data.
//
// parse_resources() reads the raw JSON kept by the spec layer (spec::Linux::resources) and
// checks everything that is wrong whatever the host (types, value ranges, device rule
// syntax). What depends on the cgroup version (unified on v1, realtime on v2, swap
// conversion) is checked by v1_writes() / v2_writes(). Errors name the JSON pointer:
//   /linux/resources/memory/limit: must be an integer
//
// Absent members stay std::nullopt / empty: nothing is written for them.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace arca::cgroups {

struct Memory {
  std::optional<int64_t> limit;        // bytes, -1 = unlimited
  std::optional<int64_t> reservation;  // soft limit
  std::optional<int64_t> swap;         // memory+swap (v1 semantics), -1 = unlimited
  std::optional<int64_t> kernel;       // deprecated
  std::optional<int64_t> kernel_tcp;   // deprecated
  std::optional<uint64_t> swappiness;  // 0..100
  std::optional<bool> disable_oom_killer;
  std::optional<bool> use_hierarchy;
  std::optional<bool> check_before_update;  // for `update`: not a write by itself
};

struct Cpu {
  std::optional<uint64_t> shares;  // 2..262144; 0 means unset (runc)
  std::optional<int64_t> quota;    // µs per period, -1 = unlimited; 0 means unset
  std::optional<uint64_t> burst;   // µs
  std::optional<uint64_t> period;  // µs, 1000..1000000
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;  // "0-3,7"; empty = unset
  std::string mems;
  std::optional<int64_t> idle;  // 0 or 1
};

struct Pids {
  int64_t limit = 0;  // <= 0 = unlimited ("max"), as runc treats 0 and -1
};

struct WeightDevice {
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> weight;       // 10..1000
  std::optional<uint32_t> leaf_weight;  // 10..1000
};

struct ThrottleDevice {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;  // 0 removes the limit
};

struct BlockIo {
  std::optional<uint32_t> weight;       // 10..1000
  std::optional<uint32_t> leaf_weight;  // 10..1000
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps;
  std::vector<ThrottleDevice> throttle_write_bps;
  std::vector<ThrottleDevice> throttle_read_iops;
  std::vector<ThrottleDevice> throttle_write_iops;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB", "64KB"
  uint64_t limit = 0;     // bytes
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
};

struct Network {
  std::optional<uint32_t> class_id;
  std::vector<InterfacePriority> priorities;
};

struct Rdma {
  std::optional<uint32_t> hca_handles;
  std::optional<uint32_t> hca_objects;
};

// One device cgroup rule, normalized: type is 'a', 'c' or 'b'; major/minor nullopt = '*';
// access a non-empty subset of "rwm" in that order.
struct DeviceRule {
  bool allow = false;
  char type = 'a';
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access = "rwm";

  // "c 1:3 rwm", "a *:* rwm": the v1 devices.allow / devices.deny syntax.
  std::string to_string() const;
  bool operator==(const DeviceRule&) const = default;
};

struct Resources {
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
  std::optional<BlockIo> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<Network> network;
  std::map<std::string, Rdma> rdma;                // device name -> limits
  std::map<std::string, std::string> unified;      // cgroup v2 file -> value
  std::optional<std::vector<DeviceRule>> devices;  // absent: leave the device cgroup alone
  // The device rules are only runc's defaults, not asked for by the config: a host without
  // a usable device controller (unmounted on v1, no eBPF on v2) skips them.
  bool devices_best_effort = false;
};

// `pointer` is where `resources` sits in the document, for messages.
Result<Resources> parse_resources(const nlohmann::json& resources,
                                  const std::string& pointer = "/linux/resources");

// Prefix used by the write mappings for their messages.
inline constexpr const char kResourcesPointer[] = "/linux/resources";

// One value to write into one control file of one controller.
struct Write {
  std::string controller;  // "memory", "cpu", ...; "cgroup" for core files (cgroup.*)
  std::string file;        // "memory.limit_in_bytes"
  std::string value;
  bool operator==(const Write&) const = default;
};

}  // namespace arca::cgroups
