#include "cgroups/resources.h"

#include "spec/json_reader.h"

namespace arca::cgroups {

using spec::json_error;
using spec::Reader;

namespace {

Status check_range(const std::string& ptr, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) {
    return json_error(ptr, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                               ", not " + std::to_string(v));
  }
  return {};
}

Status check_range(const Reader& r, const char* key, const std::optional<uint32_t>& v, uint64_t lo,
                   uint64_t hi) {
  return v ? check_range(r.child(key), *v, lo, hi) : Status{};
}

}  // namespace

// Decoders for the array and map elements; found from spec::decode's templates by ADL.
Status decode(const nlohmann::json& v, const std::string& ptr, WeightDevice* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("major", &out->major));
  ARCA_TRY(r.require("minor", &out->minor));
  ARCA_TRY(r.get("weight", &out->weight));
  ARCA_TRY(r.get("leafWeight", &out->leaf_weight));
  ARCA_TRY(check_range(r, "weight", out->weight, 10, 1000));
  return check_range(r, "leafWeight", out->leaf_weight, 10, 1000);
}

Status decode(const nlohmann::json& v, const std::string& ptr, ThrottleDevice* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("major", &out->major));
  ARCA_TRY(r.require("minor", &out->minor));
  return r.require("rate", &out->rate);
}

Status decode(const nlohmann::json& v, const std::string& ptr, HugepageLimit* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("pageSize", &out->page_size));
  ARCA_TRY(r.require("limit", &out->limit));
  // <digits><K|M|G|T|P>B, the way the kernel names hugetlb.<size>.* files.
  const std::string& s = out->page_size;
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  bool ok = digits > 0 && s[0] != '0' && s.size() == digits + 2 && s.back() == 'B' &&
            std::string("KMGTP").find(s[digits]) != std::string::npos;
  if (!ok) return json_error(r.child("pageSize"), "must be a size like \"2MB\" or \"1GB\"");
  return {};
}

Status decode(const nlohmann::json& v, const std::string& ptr, InterfacePriority* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("name", &out->name));
  ARCA_TRY(r.require("priority", &out->priority));
  if (out->name.empty() || out->name.find_first_of(" \n/") != std::string::npos) {
    return json_error(r.child("name"), "must be a network interface name");
  }
  return {};
}

Status decode(const nlohmann::json& v, const std::string& ptr, Rdma* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("hcaHandles", &out->hca_handles));
  return r.get("hcaObjects", &out->hca_objects);
}

Status decode(const nlohmann::json& v, const std::string& ptr, DeviceRule* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("allow", &out->allow));
  std::string type = "a";
  ARCA_TRY(r.get("type", &type));
  if (type != "a" && type != "c" && type != "b") {
    return json_error(r.child("type"), "must be \"a\", \"c\" or \"b\"");
  }
  out->type = type[0];
  ARCA_TRY(r.get("major", &out->major));
  ARCA_TRY(r.get("minor", &out->minor));
  // -1 is how some producers spell the wildcard.
  if (out->major && *out->major == -1) out->major.reset();
  if (out->minor && *out->minor == -1) out->minor.reset();
  if ((out->major && *out->major < 0) || (out->minor && *out->minor < 0)) {
    return json_error(r.child(out->major && *out->major < 0 ? "major" : "minor"),
                      "must be a device number or -1 (any)");
  }
  std::string access = "rwm";
  ARCA_TRY(r.get("access", &access));
  std::string normalized;
  for (char c : std::string("rwm")) {
    if (access.find(c) != std::string::npos) normalized += c;
  }
  if (access.empty() || access.find_first_not_of("rwm") != std::string::npos) {
    return json_error(r.child("access"), "must be a combination of \"r\", \"w\" and \"m\"");
  }
  out->access = normalized;
  return {};
}

namespace {

Status parse_memory(const Reader& r, Memory* m) {
  ARCA_TRY(r.get("limit", &m->limit));
  ARCA_TRY(r.get("reservation", &m->reservation));
  ARCA_TRY(r.get("swap", &m->swap));
  ARCA_TRY(r.get("kernel", &m->kernel));
  ARCA_TRY(r.get("kernelTCP", &m->kernel_tcp));
  ARCA_TRY(r.get("swappiness", &m->swappiness));
  ARCA_TRY(r.get("disableOOMKiller", &m->disable_oom_killer));
  ARCA_TRY(r.get("useHierarchy", &m->use_hierarchy));
  ARCA_TRY(r.get("checkBeforeUpdate", &m->check_before_update));
  if (m->swappiness) ARCA_TRY(check_range(r.child("swappiness"), *m->swappiness, 0, 100));
  const std::pair<const char*, const std::optional<int64_t>*> sizes[] = {
      {"limit", &m->limit},
      {"reservation", &m->reservation},
      {"swap", &m->swap},
      {"kernel", &m->kernel},
      {"kernelTCP", &m->kernel_tcp}};
  for (const auto& [key, value] : sizes) {
    if (*value && **value < -1) {
      return json_error(r.child(key), "must be a number of bytes or -1 (unlimited)");
    }
  }
  return {};
}

Status parse_cpu(const Reader& r, Cpu* c) {
  ARCA_TRY(r.get("shares", &c->shares));
  ARCA_TRY(r.get("quota", &c->quota));
  ARCA_TRY(r.get("burst", &c->burst));
  ARCA_TRY(r.get("period", &c->period));
  ARCA_TRY(r.get("realtimeRuntime", &c->realtime_runtime));
  ARCA_TRY(r.get("realtimePeriod", &c->realtime_period));
  ARCA_TRY(r.get("cpus", &c->cpus));
  ARCA_TRY(r.get("mems", &c->mems));
  ARCA_TRY(r.get("idle", &c->idle));
  if (c->shares && *c->shares != 0) {
    ARCA_TRY(check_range(r.child("shares"), *c->shares, 2, 262144));
  }
  if (c->period && *c->period != 0) {
    ARCA_TRY(check_range(r.child("period"), *c->period, 1000, 1000000));
  }
  if (c->quota && *c->quota != 0 && *c->quota != -1 && *c->quota < 1000) {
    return json_error(r.child("quota"), "must be at least 1000 (µs) or -1 (unlimited)");
  }
  if (c->realtime_runtime && *c->realtime_runtime < -1) {
    return json_error(r.child("realtimeRuntime"), "must be at least -1");
  }
  if (c->idle && *c->idle != 0 && *c->idle != 1) {
    return json_error(r.child("idle"), "must be 0 or 1");
  }
  const std::pair<const char*, const std::string*> sets[] = {{"cpus", &c->cpus},
                                                             {"mems", &c->mems}};
  for (const auto& [key, value] : sets) {
    if (value->find_first_not_of("0123456789,- \n") != std::string::npos) {
      return json_error(r.child(key), "must be a list like \"0-3,7\"");
    }
  }
  return {};
}

Status parse_block_io(const Reader& r, BlockIo* b) {
  ARCA_TRY(r.get("weight", &b->weight));
  ARCA_TRY(r.get("leafWeight", &b->leaf_weight));
  ARCA_TRY(check_range(r, "weight", b->weight, 10, 1000));
  ARCA_TRY(check_range(r, "leafWeight", b->leaf_weight, 10, 1000));
  ARCA_TRY(r.get("weightDevice", &b->weight_device));
  ARCA_TRY(r.get("throttleReadBpsDevice", &b->throttle_read_bps));
  ARCA_TRY(r.get("throttleWriteBpsDevice", &b->throttle_write_bps));
  ARCA_TRY(r.get("throttleReadIOPSDevice", &b->throttle_read_iops));
  return r.get("throttleWriteIOPSDevice", &b->throttle_write_iops);
}

Status parse_unified(const Reader& r, std::map<std::string, std::string>* out) {
  ARCA_TRY(r.get("unified", out));
  for (const auto& [key, value] : *out) {
    std::string ptr = r.child("unified") + "/" + spec::pointer_token(key);
    size_t dot = key.find('.');
    if (key.find('/') != std::string::npos || dot == std::string::npos || dot == 0 ||
        dot + 1 == key.size() || key.find_first_of(" \n\0", 0, 3) != std::string::npos) {
      return json_error(ptr, "must name a cgroup v2 file, like \"memory.high\"");
    }
  }
  return {};
}

}  // namespace

Result<Resources> parse_resources(const nlohmann::json& resources, const std::string& pointer) {
  ARCA_ASSIGN(Reader r, Reader::open(resources, pointer));
  Resources out;
  if (const auto* v = r.find("memory")) {
    ARCA_ASSIGN(Reader m, Reader::open(*v, r.child("memory")));
    ARCA_TRY(parse_memory(m, &out.memory.emplace()));
  }
  if (const auto* v = r.find("cpu")) {
    ARCA_ASSIGN(Reader c, Reader::open(*v, r.child("cpu")));
    ARCA_TRY(parse_cpu(c, &out.cpu.emplace()));
  }
  if (const auto* v = r.find("pids")) {
    ARCA_ASSIGN(Reader p, Reader::open(*v, r.child("pids")));
    ARCA_TRY(p.require("limit", &out.pids.emplace().limit));
  }
  if (const auto* v = r.find("blockIO")) {
    ARCA_ASSIGN(Reader b, Reader::open(*v, r.child("blockIO")));
    ARCA_TRY(parse_block_io(b, &out.block_io.emplace()));
  }
  ARCA_TRY(r.get("hugepageLimits", &out.hugepage_limits));
  if (const auto* v = r.find("network")) {
    ARCA_ASSIGN(Reader n, Reader::open(*v, r.child("network")));
    Network& net = out.network.emplace();
    ARCA_TRY(n.get("classID", &net.class_id));
    ARCA_TRY(n.get("priorities", &net.priorities));
  }
  ARCA_TRY(r.get("rdma", &out.rdma));
  ARCA_TRY(parse_unified(r, &out.unified));
  ARCA_TRY(r.get("devices", &out.devices));
  return out;
}

std::string DeviceRule::to_string() const {
  std::string s(1, type);
  s += ' ';
  s += major ? std::to_string(*major) : "*";
  s += ':';
  s += minor ? std::to_string(*minor) : "*";
  s += ' ';
  s += access;
  return s;
}

}  // namespace arca::cgroups
