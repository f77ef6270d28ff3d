#include "cgroups/recorded_manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "base/text.h"
#include "base/unique_fd.h"
#include "cgroups/device_bpf.h"
#include "cgroups/device_policy.h"
#include "cgroups/fs.h"
#include "cgroups/v1_files.h"
#include "cgroups/v2_files.h"

namespace arca::cgroups {

namespace {

using nlohmann::json;

// state.json is ours, but a corrupt or hand-edited one must not make `update` write into
// arbitrary files: only directories on a cgroup filesystem are used.
std::optional<std::string> dir_of(const json& paths, const std::string& controller,
                                  const RecordedOptions& o) {
  if (!paths.is_object() || !paths.contains(controller)) return std::nullopt;
  const json& d = paths[controller];
  if (!d.is_string()) return std::nullopt;
  std::string s = d.get<std::string>();
  if (s.empty() || s[0] != '/') return std::nullopt;
  if (!o.imitation) {
    struct statfs fs;
    if (statfs(s.c_str(), &fs) != 0) return std::nullopt;
    if (fs.f_type != CGROUP_SUPER_MAGIC && fs.f_type != CGROUP2_SUPER_MAGIC) return std::nullopt;
  }
  return s;
}

// Reads from one recorded directory; every accessor is "absent = empty/zero" because
// runc reports zeros for what a kernel or a hierarchy lacks.
class StatReader {
 public:
  StatReader(std::optional<std::string> dir, bool imitation)
      : dir_(std::move(dir)), fs_(imitation) {}
  bool present() const { return dir_.has_value(); }
  std::optional<std::string> text(const std::string& file) const {
    if (!dir_) return std::nullopt;
    auto r = fs_.read(*dir_, file);
    if (!r) return std::nullopt;
    return *r;
  }
  // A single number; "max" (unlimited) reads as `max_value`.
  std::optional<uint64_t> number(const std::string& file, uint64_t max_value = 0) const {
    auto t = text(file);
    if (!t) return std::nullopt;
    std::string v = trim(*t);
    if (v == "max") return max_value;
    if (v.empty()) return std::nullopt;
    return strtoull(v.c_str(), nullptr, 10);
  }
  uint64_t value(const std::string& file, uint64_t max_value = 0) const {
    return number(file, max_value).value_or(0);
  }
  // "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat).
  std::map<std::string, uint64_t> keyed(const std::string& file) const {
    std::map<std::string, uint64_t> out;
    auto t = text(file);
    if (!t) return out;
    auto w = ::arca::text::words(*t);
    for (size_t i = 0; i + 1 < w.size(); i += 2) out[w[i]] = strtoull(w[i + 1].c_str(), nullptr, 10);
    return out;
  }
  std::vector<uint64_t> list(const std::string& file) const {
    std::vector<uint64_t> out;
    auto t = text(file);
    if (!t) return out;
    for (const std::string& w : ::arca::text::words(*t)) out.push_back(strtoull(w.c_str(), nullptr, 10));
    return out;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (!dir_) return out;
    DIR* d = opendir(dir_->c_str());
    if (d == nullptr) return out;
    while (dirent* e = readdir(d)) out.emplace_back(e->d_name);
    closedir(d);
    return out;
  }

 private:
  std::optional<std::string> dir_;
  CgroupFs fs_;
};

// Go's encoding/json with omitempty drops zero numbers and empty lists; runc's stats use
// it on some members, so the same members are left out here to keep the shape equal.
void put_nonzero(json& o, const char* key, uint64_t v) {
  if (v != 0) o[key] = v;
}
void put_nonempty(json& o, const char* key, const std::vector<uint64_t>& v) {
  if (!v.empty()) o[key] = v;
}

// runc's MemoryEntry: limit and failcnt always, usage and max when non-zero.
json memory_entry(uint64_t usage, uint64_t max, uint64_t failcnt, uint64_t limit) {
  json e = json::object();
  e["limit"] = limit;
  put_nonzero(e, "usage", usage);
  put_nonzero(e, "max", max);
  e["failcnt"] = failcnt;
  return e;
}

json throttling(uint64_t periods, uint64_t throttled, uint64_t time_ns) {
  json t = json::object();
  put_nonzero(t, "periods", periods);
  put_nonzero(t, "throttledPeriods", throttled);
  put_nonzero(t, "throttledTime", time_ns);
  return t;
}

json pids_stats(const StatReader& r) {
  json p = json::object();
  put_nonzero(p, "current", r.value("pids.current"));
  put_nonzero(p, "limit", r.value("pids.max"));  // "max" is 0: no limit, as runc says
  return p;
}

// cpuset.cpus / cpuset.mems ("0-3,7") as runc's lists of numbers.
std::vector<uint64_t> cpu_list(const std::string& text) {
  std::vector<uint64_t> out;
  for (const std::string& range : ::arca::text::split(trim(text), ',')) {
    if (range.empty()) continue;
    size_t dash = range.find('-');
    uint64_t lo = strtoull(range.c_str(), nullptr, 10);
    uint64_t hi = dash == std::string::npos ? lo : strtoull(range.c_str() + dash + 1, nullptr, 10);
    for (uint64_t i = lo; i <= hi && out.size() < 65536; ++i) out.push_back(i);
  }
  return out;
}

// v1 blkio "MAJ:MIN Op value" lines (the "Total" summary is not an entry).
json blkio_entries(const StatReader& r, const std::string& file) {
  json out = json::array();
  auto t = r.text(file);
  if (!t) return out;
  for (const std::string& line : ::arca::text::lines(*t)) {
    auto f = ::arca::text::words(line);
    if (f.size() < 3) continue;
    const std::string &dev = f[0], &op = f[1], &value = f[2];
    size_t colon = dev.find(':');
    if (colon == std::string::npos) continue;
    json e = json::object();
    put_nonzero(e, "major", strtoull(dev.c_str(), nullptr, 10));
    put_nonzero(e, "minor", strtoull(dev.c_str() + colon + 1, nullptr, 10));
    e["op"] = op;
    put_nonzero(e, "value", strtoull(value.c_str(), nullptr, 10));
    out.push_back(std::move(e));
  }
  return out;
}

json v1_stats(const json& paths, const RecordedOptions& o) {
  auto reader = [&](const char* controller) {
    return StatReader(dir_of(paths, controller, o), o.imitation);
  };
  json data = json::object();

  // cpuacct.stat is in USER_HZ ticks; runc reports nanoseconds.
  StatReader acct = reader("cpuacct");
  StatReader cpu = reader("cpu");
  uint64_t hz = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  if (hz == 0) hz = 100;
  auto ticks = acct.keyed("cpuacct.stat");
  json usage = json::object();
  put_nonzero(usage, "total", acct.value("cpuacct.usage"));
  put_nonempty(usage, "percpu", acct.list("cpuacct.usage_percpu"));
  put_nonempty(usage, "percpu_kernel", acct.list("cpuacct.usage_percpu_sys"));
  put_nonempty(usage, "percpu_user", acct.list("cpuacct.usage_percpu_user"));
  usage["kernel"] = ticks["system"] * (1000000000 / hz);
  usage["user"] = ticks["user"] * (1000000000 / hz);
  auto cs = cpu.keyed("cpu.stat");
  data["cpu"] = {
      {"usage", usage},
      {"throttling", throttling(cs["nr_periods"], cs["nr_throttled"], cs["throttled_time"])}};

  StatReader cpuset = reader("cpuset");
  json set = json::object();
  put_nonempty(set, "cpus", cpu_list(cpuset.text("cpuset.cpus").value_or("")));
  put_nonempty(set, "mems", cpu_list(cpuset.text("cpuset.mems").value_or("")));
  for (const char* name : {"cpu_exclusive", "mem_exclusive", "mem_hardwall", "memory_migrate",
                           "memory_pressure", "memory_spread_page", "memory_spread_slab",
                           "sched_load_balance", "sched_relax_domain_level"}) {
    // Signed: sched_relax_domain_level is -1 by default.
    auto t = cpuset.text(std::string("cpuset.") + name);
    set[name] = t ? strtoll(trim(*t).c_str(), nullptr, 10) : 0;
  }
  data["cpuset"] = set;

  StatReader mem = reader("memory");
  auto entry = [&](const std::string& prefix) {
    return memory_entry(mem.value(prefix + ".usage_in_bytes"),
                        mem.value(prefix + ".max_usage_in_bytes"), mem.value(prefix + ".failcnt"),
                        mem.value(prefix + ".limit_in_bytes"));
  };
  auto raw = mem.keyed("memory.stat");
  json memory = json::object();
  put_nonzero(memory, "cache", raw.count("cache") ? raw["cache"] : 0);
  memory["usage"] = entry("memory");
  memory["swap"] = entry("memory.memsw");
  memory["kernel"] = entry("memory.kmem");
  memory["kernelTCP"] = entry("memory.kmem.tcp");
  if (!raw.empty()) memory["raw"] = raw;
  data["memory"] = memory;

  data["pids"] = pids_stats(reader("pids"));

  StatReader blk = reader("blkio");
  json blkio = json::object();
  // runc reads the CFQ/BFQ files when they exist and the throttle ones otherwise.
  struct Pair {
    const char* key;
    const char* file;
  };
  const Pair pairs[] = {{"ioServiceBytesRecursive", "blkio.throttle.io_service_bytes_recursive"},
                        {"ioServicedRecursive", "blkio.throttle.io_serviced_recursive"}};
  for (const auto& p : pairs) {
    json e = blkio_entries(blk, p.file);
    if (!e.empty()) blkio[p.key] = std::move(e);
  }
  data["blkio"] = blkio;

  StatReader huge = reader("hugetlb");
  json hugetlb = json::object();
  for (const auto& f : huge.files()) {
    const std::string suffix = ".usage_in_bytes";
    if (f.rfind("hugetlb.", 0) != 0 || f.size() <= 8 + suffix.size() ||
        f.compare(f.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string size = f.substr(8, f.size() - 8 - suffix.size());
    if (size.find('.') != std::string::npos) continue;  // hugetlb.2MB.rsvd.usage_in_bytes
    json h = json::object();
    put_nonzero(h, "usage", huge.value(f));
    put_nonzero(h, "max", huge.value("hugetlb." + size + ".max_usage_in_bytes"));
    h["failcnt"] = huge.value("hugetlb." + size + ".failcnt");
    hugetlb[size] = h;
  }
  data["hugetlb"] = hugetlb;
  return data;
}

json v2_stats(const json& paths, const RecordedOptions& o) {
  StatReader r(dir_of(paths, "", o), o.imitation);
  json data = json::object();
  auto cs = r.keyed("cpu.stat");
  json usage = json::object();
  put_nonzero(usage, "total", cs["usage_usec"] * 1000);
  usage["kernel"] = cs["system_usec"] * 1000;
  usage["user"] = cs["user_usec"] * 1000;
  data["cpu"] = {{"usage", usage},
                 {"throttling",
                  throttling(cs["nr_periods"], cs["nr_throttled"], cs["throttled_usec"] * 1000)}};
  json set = json::object();
  put_nonempty(set, "cpus", cpu_list(r.text("cpuset.cpus.effective").value_or("")));
  put_nonempty(set, "mems", cpu_list(r.text("cpuset.mems.effective").value_or("")));
  data["cpuset"] = set;

  // v2 has no memory+swap files: runc reports swap as memory+swap for v1 compatibility.
  const uint64_t kMax = UINT64_MAX;
  auto events = r.keyed("memory.events");
  auto raw = r.keyed("memory.stat");
  uint64_t current = r.value("memory.current");
  json memory = json::object();
  put_nonzero(memory, "cache", raw.count("file") ? raw["file"] : 0);
  memory["usage"] =
      memory_entry(current, r.value("memory.peak"), events["max"], r.value("memory.max", kMax));
  uint64_t swap_limit = r.value("memory.swap.max", kMax);
  uint64_t mem_limit = r.value("memory.max", kMax);
  memory["swap"] =
      memory_entry(current + r.value("memory.swap.current"), 0, 0,
                   swap_limit == kMax || mem_limit == kMax ? kMax : swap_limit + mem_limit);
  memory["kernel"] = memory_entry(0, 0, 0, 0);
  memory["kernelTCP"] = memory_entry(0, 0, 0, 0);
  if (!raw.empty()) memory["raw"] = raw;
  data["memory"] = memory;
  data["pids"] = pids_stats(r);
  data["blkio"] = json::object();
  data["hugetlb"] = json::object();
  return data;
}

// memory.checkBeforeUpdate (cgroup v2, as runc): a memory or memory+swap limit at or
// below the current usage is refused rather than left to the OOM killer. Best effort: no
// memory.current, no check. (v1 needs none: the kernel refuses such a limit with EBUSY.)
Status check_memory_usage(const StatReader& r, const Memory& m) {
  auto usage = r.number("memory.current");
  if (!usage) return {};
  const std::pair<const char*, std::optional<int64_t>> limits[] = {{"swap", m.swap},
                                                                   {"limit", m.limit}};
  for (const auto& [key, value] : limits) {
    if (value && *value > 0 && static_cast<uint64_t>(*value) <= *usage) {
      return Error::invalid(std::string(kResourcesPointer) + "/memory/" + key + ": " +
                            std::to_string(*value) + " is not above the current usage (" +
                            std::to_string(*usage) + " bytes) and checkBeforeUpdate is set");
    }
  }
  return {};
}

// The v1 writes that change the recorded devices cgroup's rules to `rules` (see
// device_transition(): a running container must not lose /dev/null in between).
Result<std::vector<Write>> v1_device_update(const json& paths, const std::vector<DeviceRule>& rules,
                                            const RecordedOptions& o) {
  auto dir = dir_of(paths, "devices", o);
  if (!dir) {
    return Error::invalid("no \"devices\" cgroup recorded for the container (needed for "
                          "/linux/resources/devices)");
  }
  ARCA_ASSIGN(std::string list, CgroupFs(o.imitation).read(*dir, "devices.list"));
  return device_transition(list, device_policy(rules));
}

}  // namespace

bool recorded_is_v2(const nlohmann::json& paths) {
  if (!paths.is_object() || !paths.contains("")) return false;
  return paths.size() == 1;
}

Status apply_recorded(const nlohmann::json& paths, const Resources& r,
                      const RecordedOptions& options) {
  if (!paths.is_object() || paths.empty()) return Error::invalid("the container has no cgroup");
  bool v2 = recorded_is_v2(paths);
  Resources limits = r;
  limits.devices.reset();  // not create's writes: see v1_device_update()
  ARCA_ASSIGN(std::vector<Write> writes, v2 ? v2_writes(limits) : v1_writes(limits));
  CgroupFs fs(options.imitation);
  if (v2 && r.memory && r.memory->check_before_update.value_or(false)) {
    ARCA_TRY(check_memory_usage(StatReader(dir_of(paths, "", options), options.imitation),
                                *r.memory));
  }
  if (r.devices && !v2) {
    ARCA_ASSIGN(std::vector<Write> devices, v1_device_update(paths, *r.devices, options));
    writes.insert(writes.end(), devices.begin(), devices.end());
  }
  auto write = [&](const Write& w) -> Status {
    std::string controller = v2 ? "" : w.controller;
    auto dir = dir_of(paths, controller, options);
    if (!dir) {
      return Error::invalid("no " + quote(w.controller) +
                            " cgroup recorded for the container (needed for " + w.file + ")");
    }
    if (!fs.exists(*dir + "/" + w.file)) {
      return Error(ENOENT, w.file + ": no such file in " + quote(*dir));
    }
    return fs.write(*dir, w.file, w.value);
  };
  for (size_t i = 0; i < writes.size(); ++i) {
    // As the v1 backend: raising the memory limit above the memory+swap limit is refused,
    // so then memsw goes first.
    bool memsw_next = !v2 && i + 1 < writes.size() && writes[i].file == "memory.limit_in_bytes" &&
                      writes[i + 1].file == "memory.memsw.limit_in_bytes";
    Status s = write(writes[i]);
    if (!s && memsw_next && s.error().code() == EINVAL) {
      ARCA_TRY(write(writes[i + 1]));
      s = write(writes[i]);
      ++i;
    }
    ARCA_TRY(std::move(s));
  }
  if (r.devices && v2 && !options.imitation) {
    auto dir = dir_of(paths, "", options);
    if (!dir) return Error::invalid("no cgroup2 directory recorded for the container");
    UniqueFd fd(open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return Error::os("open cgroup " + quote(*dir));
    ARCA_TRY(install_device_program(fd.get(), device_program(device_policy(*r.devices))));
  }
  return {};
}

Result<nlohmann::json> recorded_stats(const nlohmann::json& paths, const RecordedOptions& options) {
  if (!paths.is_object() || paths.empty()) return Error::invalid("the container has no cgroup");
  json data = recorded_is_v2(paths) ? v2_stats(paths, options) : v1_stats(paths, options);
  data["intel_rdt"] = json::object();
  data["network_interfaces"] = nullptr;
  return data;
}

std::optional<uint64_t> recorded_oom_kills(const nlohmann::json& paths,
                                           const RecordedOptions& options) {
  bool v2 = recorded_is_v2(paths);
  StatReader r(dir_of(paths, v2 ? "" : "memory", options), options.imitation);
  auto values = r.keyed(v2 ? "memory.events" : "memory.oom_control");
  auto it = values.find("oom_kill");
  if (it == values.end()) return std::nullopt;
  return it->second;
}

Result<int64_t> parse_ram_bytes(const std::string& text) {
  auto bad = [&] { return Error::invalid("invalid size " + quote(text)); };
  if (text == "-1") return int64_t{-1};
  size_t i = 0;
  while (i < text.size() && (isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0 || text[0] == '.') return bad();
  std::string number = text.substr(0, i);
  std::string unit = text.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit = unit.substr(1);
  for (char& c : unit) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  // Unit: optional k/m/g/t/p, then optional "i", then optional "b" (go-units' regexp).
  double scale = 1;
  size_t u = 0;
  if (u < unit.size()) {
    const std::string prefixes = "kmgtp";
    size_t p = prefixes.find(unit[u]);
    if (p != std::string::npos) {
      scale = std::pow(1024.0, static_cast<double>(p + 1));
      ++u;
    }
  }
  if (u < unit.size() && unit[u] == 'i') ++u;
  if (u < unit.size() && unit[u] == 'b') ++u;
  if (u != unit.size()) return bad();
  char* end = nullptr;
  double value = strtod(number.c_str(), &end);
  if (end == nullptr || *end != '\0') return bad();
  double bytes = value * scale;
  if (bytes >= 9.2e18) return bad();
  return static_cast<int64_t>(bytes);
}

Result<uint64_t> parse_duration_ms(const std::string& text) {
  auto bad = [&] { return Error::invalid("invalid duration " + quote(text)); };
  if (text.empty()) return bad();
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    if (i == start) return bad();
    double value = strtod(text.substr(start, i - start).c_str(), nullptr);
    size_t ustart = i;
    while (i < text.size() && isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(ustart, i - ustart);
    double ms;
    if (unit == "ns") {
      ms = 1e-6;
    } else if (unit == "us") {
      ms = 1e-3;
    } else if (unit == "ms") {
      ms = 1;
    } else if (unit == "s") {
      ms = 1000;
    } else if (unit == "m") {
      ms = 60000;
    } else if (unit == "h") {
      ms = 3600000;
    } else {
      return bad();
    }
    total_ms += value * ms;
  }
  if (total_ms < 1) return bad();
  return static_cast<uint64_t>(total_ms);
}

}  // namespace arca::cgroups
