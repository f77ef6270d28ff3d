#include "cgroups/v2_files.h"

#include <algorithm>

#include "spec/json_reader.h"

namespace arca::cgroups {
namespace {

using spec::json_error;

std::string ptr(const std::string& rest) { return std::string(kResourcesPointer) + rest; }

std::string max_or(int64_t v) { return v == -1 ? "max" : std::to_string(v); }

void add(std::vector<Write>* out, const char* controller, const std::string& file,
         const std::string& value) {
  out->push_back({controller, file, value});
}

Status memory_writes(const Memory& m, std::vector<Write>* out) {
  ARCA_ASSIGN(std::optional<int64_t> swap, swap_to_v2(m));
  if (m.limit) add(out, "memory", "memory.max", max_or(*m.limit));
  if (swap) add(out, "memory", "memory.swap.max", max_or(*swap));
  if (m.reservation) add(out, "memory", "memory.low", max_or(*m.reservation));
  return {};
}

Status cpu_writes(const Cpu& c, std::vector<Write>* out) {
  if (c.realtime_runtime && *c.realtime_runtime != 0) {
    return json_error(ptr("/cpu/realtimeRuntime"), "requires cgroup v1");
  }
  if (c.realtime_period && *c.realtime_period != 0) {
    return json_error(ptr("/cpu/realtimePeriod"), "requires cgroup v1");
  }
  if (c.shares && *c.shares != 0) {
    add(out, "cpu", "cpu.weight", std::to_string(shares_to_weight(*c.shares)));
  }
  bool quota = c.quota && *c.quota != 0;
  bool period = c.period && *c.period != 0;
  if (quota || period) {
    std::string value = quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
    value.push_back(' ');
    value.append(std::to_string(period ? *c.period : 100000));
    add(out, "cpu", "cpu.max", value);
  }
  if (c.burst) add(out, "cpu", "cpu.max.burst", std::to_string(*c.burst));
  if (c.idle) add(out, "cpu", "cpu.idle", std::to_string(*c.idle));
  return {};
}

// io.max takes all four limits of a device in one line; gather them in input order.
void io_max_writes(const BlockIo& b, std::vector<Write>* out) {
  std::vector<std::pair<std::string, std::string>> lines;  // device -> "rbps=1 wiops=2"
  const std::pair<const char*, const std::vector<ThrottleDevice>*> kinds[] = {
      {"rbps", &b.throttle_read_bps},
      {"wbps", &b.throttle_write_bps},
      {"riops", &b.throttle_read_iops},
      {"wiops", &b.throttle_write_iops}};
  for (const auto& [key, list] : kinds) {
    for (const auto& d : *list) {
      std::string dev = std::to_string(d.major) + ":" + std::to_string(d.minor);
      std::string item = std::string(key) + "=" + (d.rate == 0 ? "max" : std::to_string(d.rate));
      auto it =
          std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == dev; });
      if (it == lines.end()) {
        lines.emplace_back(dev, item);
      } else {
        it->second += " " + item;
      }
    }
  }
  for (const auto& [dev, items] : lines) add(out, "io", "io.max", dev + " " + items);
}

void io_writes(const BlockIo& b, std::vector<Write>* out) {
  if (b.weight) {
    add(out, "io", "io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)));
  }
  for (const auto& d : b.weight_device) {
    if (!d.weight) continue;
    add(out, "io", "io.weight",
        std::to_string(d.major) + ":" + std::to_string(d.minor) + " " +
            std::to_string(blkio_weight_to_io_weight(*d.weight)));
  }
  io_max_writes(b, out);
}

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
  if (shares < 2) return 1;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight < 10) return 1;
  return 1 + ((weight - 10) * 9999) / 990;
}

Result<std::optional<int64_t>> swap_to_v2(const Memory& m) {
  int64_t limit = m.limit.value_or(0);
  if (!m.swap) {
    // Unlimited memory with swap unsaid means both unlimited (v1 compatibility).
    if (limit == -1) return std::optional<int64_t>(-1);
    return std::optional<int64_t>();
  }
  int64_t swap = *m.swap;
  if (swap == -1) return std::optional<int64_t>(-1);
  if (limit == 0 || limit == -1) {
    return json_error(ptr("/memory/swap"), "requires a memory limit (memory.limit)");
  }
  if (swap < limit) {
    return json_error(ptr("/memory/swap"), "must be at least memory.limit (" +
                                               std::to_string(limit) + "): it is memory plus swap");
  }
  return std::optional<int64_t>(swap - limit);
}

std::vector<DeviceRule> default_device_rules() {
  auto allow = [](char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                  const char* access) {
    return DeviceRule{true, type, major, minor, access};
  };
  return {
      allow('c', std::nullopt, std::nullopt, "m"),  // mknod of any device (runc allows it)
      allow('b', std::nullopt, std::nullopt, "m"),
      allow('c', 1, 3, "rwm"),               // /dev/null
      allow('c', 1, 8, "rwm"),               // /dev/random
      allow('c', 1, 7, "rwm"),               // /dev/full
      allow('c', 5, 0, "rwm"),               // /dev/tty
      allow('c', 1, 5, "rwm"),               // /dev/zero
      allow('c', 1, 9, "rwm"),               // /dev/urandom
      allow('c', 136, std::nullopt, "rwm"),  // /dev/pts/*
      allow('c', 5, 2, "rwm"),               // /dev/ptmx
      allow('c', 10, 200, "rwm"),            // /dev/net/tun
  };
}

std::vector<DeviceRule> device_rules(const Resources& r) {
  if (!r.devices) return {};
  std::vector<DeviceRule> rules;
  rules.push_back(DeviceRule{false, 'a', std::nullopt, std::nullopt, "rwm"});
  rules.insert(rules.end(), r.devices->begin(), r.devices->end());
  auto defaults = default_device_rules();
  rules.insert(rules.end(), defaults.begin(), defaults.end());
  return rules;
}

Result<std::vector<Write>> v2_writes(const Resources& r) {
  std::vector<Write> out;
  if (r.network && (r.network->class_id || !r.network->priorities.empty())) {
    return json_error(ptr("/network"), "requires cgroup v1 (net_cls, net_prio)");
  }
  if (r.cpu && !r.cpu->cpus.empty()) add(&out, "cpuset", "cpuset.cpus", r.cpu->cpus);
  if (r.cpu && !r.cpu->mems.empty()) add(&out, "cpuset", "cpuset.mems", r.cpu->mems);
  if (r.memory) ARCA_TRY(memory_writes(*r.memory, &out));
  if (r.cpu) ARCA_TRY(cpu_writes(*r.cpu, &out));
  if (r.pids) {
    add(&out, "pids", "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
  }
  if (r.block_io) io_writes(*r.block_io, &out);
  for (const auto& h : r.hugepage_limits) {
    add(&out, "hugetlb", "hugetlb." + h.page_size + ".max", std::to_string(h.limit));
  }
  for (const auto& [name, limits] : r.rdma) {
    std::string line = name;
    if (limits.hca_handles) line += " hca_handle=" + std::to_string(*limits.hca_handles);
    if (limits.hca_objects) line += " hca_object=" + std::to_string(*limits.hca_objects);
    if (limits.hca_handles || limits.hca_objects) add(&out, "rdma", "rdma.max", line);
  }
  for (const auto& [key, value] : r.unified) {
    add(&out, "", key, value);
    out.back().controller = key.substr(0, key.find('.'));
  }
  return out;
}

}  // namespace arca::cgroups
