#include "cgroups/v1_files.h"

#include "cgroups/v2_files.h"
#include "spec/json_reader.h"

namespace arca::cgroups {
namespace {

using spec::json_error;

std::string ptr(const std::string& rest) { return std::string(kResourcesPointer) + rest; }

std::string device(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

class Out {
 public:
  void add(const char* controller, const std::string& file, const std::string& value) {
    writes_.push_back({controller, file, value});
  }
  std::vector<Write> take() { return std::move(writes_); }

 private:
  std::vector<Write> writes_;
};

Status memory_writes(const Memory& m, Out* out) {
  // Validation shared with v2 (swap without a limit, swap below the limit).
  ARCA_TRY(swap_to_v2(m));
  if (m.limit) out->add("memory", "memory.limit_in_bytes", std::to_string(*m.limit));
  std::optional<int64_t> memsw = m.swap;
  if (m.limit && *m.limit == -1 && !memsw) memsw = -1;
  if (memsw) out->add("memory", "memory.memsw.limit_in_bytes", std::to_string(*memsw));
  if (m.reservation) {
    out->add("memory", "memory.soft_limit_in_bytes", std::to_string(*m.reservation));
  }
  if (m.kernel) out->add("memory", "memory.kmem.limit_in_bytes", std::to_string(*m.kernel));
  if (m.kernel_tcp) {
    out->add("memory", "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp));
  }
  if (m.swappiness) out->add("memory", "memory.swappiness", std::to_string(*m.swappiness));
  if (m.disable_oom_killer && *m.disable_oom_killer) out->add("memory", "memory.oom_control", "1");
  if (m.use_hierarchy) out->add("memory", "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0");
  return {};
}

void cpu_writes(const Cpu& c, Out* out) {
  if (c.shares && *c.shares != 0) out->add("cpu", "cpu.shares", std::to_string(*c.shares));
  // Period before quota: a quota is checked against the period in force.
  if (c.period && *c.period != 0) out->add("cpu", "cpu.cfs_period_us", std::to_string(*c.period));
  if (c.quota && *c.quota != 0) out->add("cpu", "cpu.cfs_quota_us", std::to_string(*c.quota));
  if (c.burst) out->add("cpu", "cpu.cfs_burst_us", std::to_string(*c.burst));
  if (c.realtime_period && *c.realtime_period != 0) {
    out->add("cpu", "cpu.rt_period_us", std::to_string(*c.realtime_period));
  }
  if (c.realtime_runtime && *c.realtime_runtime != 0) {
    out->add("cpu", "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime));
  }
  if (c.idle) out->add("cpu", "cpu.idle", std::to_string(*c.idle));
}

void blkio_writes(const BlockIo& b, Out* out) {
  if (b.weight) out->add("blkio", "blkio.weight", std::to_string(*b.weight));
  if (b.leaf_weight) out->add("blkio", "blkio.leaf_weight", std::to_string(*b.leaf_weight));
  for (const auto& d : b.weight_device) {
    if (d.weight) {
      out->add("blkio", "blkio.weight_device",
               device(d.major, d.minor) + " " + std::to_string(*d.weight));
    }
    if (d.leaf_weight) {
      out->add("blkio", "blkio.leaf_weight_device",
               device(d.major, d.minor) + " " + std::to_string(*d.leaf_weight));
    }
  }
  const std::pair<const char*, const std::vector<ThrottleDevice>*> throttles[] = {
      {"blkio.throttle.read_bps_device", &b.throttle_read_bps},
      {"blkio.throttle.write_bps_device", &b.throttle_write_bps},
      {"blkio.throttle.read_iops_device", &b.throttle_read_iops},
      {"blkio.throttle.write_iops_device", &b.throttle_write_iops}};
  for (const auto& [file, list] : throttles) {
    for (const auto& d : *list) {
      out->add("blkio", file, device(d.major, d.minor) + " " + std::to_string(d.rate));
    }
  }
}

void rdma_writes(const std::map<std::string, Rdma>& rdma, Out* out) {
  for (const auto& [name, limits] : rdma) {
    std::string line = name;
    if (limits.hca_handles) line += " hca_handle=" + std::to_string(*limits.hca_handles);
    if (limits.hca_objects) line += " hca_object=" + std::to_string(*limits.hca_objects);
    if (limits.hca_handles || limits.hca_objects) out->add("rdma", "rdma.max", line);
  }
}

}  // namespace

Result<std::vector<Write>> v1_writes(const Resources& r) {
  if (!r.unified.empty()) return json_error(ptr("/unified"), "requires cgroup v2");
  Out out;
  if (r.cpu && !r.cpu->cpus.empty()) out.add("cpuset", "cpuset.cpus", r.cpu->cpus);
  if (r.cpu && !r.cpu->mems.empty()) out.add("cpuset", "cpuset.mems", r.cpu->mems);
  if (r.memory) ARCA_TRY(memory_writes(*r.memory, &out));
  if (r.cpu) cpu_writes(*r.cpu, &out);
  if (r.pids) {
    out.add("pids", "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
  }
  if (r.block_io) blkio_writes(*r.block_io, &out);
  for (const auto& h : r.hugepage_limits) {
    out.add("hugetlb", "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit));
  }
  if (r.network && r.network->class_id) {
    out.add("net_cls", "net_cls.classid", std::to_string(*r.network->class_id));
  }
  if (r.network) {
    for (const auto& p : r.network->priorities) {
      out.add("net_prio", "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority));
    }
  }
  rdma_writes(r.rdma, &out);
  if (r.devices) {
    out.add("devices", "devices.deny", "a");
    auto rules = device_rules(r);
    for (size_t i = 1; i < rules.size(); ++i) {
      out.add("devices", rules[i].allow ? "devices.allow" : "devices.deny", rules[i].to_string());
    }
  }
  return out.take();
}

}  // namespace arca::cgroups
