#include "cgroups/systemd_units.h"

#include <unistd.h>

#include <cstdlib>
#include <limits>

#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

using dbus::Value;

Value property(const std::string& name, Value value) {
  return Value::structure({Value::string(name), Value::variant(std::move(value))});
}

void add_resources(std::vector<Value>& props, const Resources& r, bool v2) {
  if (r.memory && r.memory->limit && *r.memory->limit > 0) {
    props.push_back(property(v2 ? "MemoryMax" : "MemoryLimit",
                             Value::u64(static_cast<uint64_t>(*r.memory->limit))));
  }
  if (r.cpu && r.cpu->shares && *r.cpu->shares != 0) {
    props.push_back(v2 ? property("CPUWeight", Value::u64(shares_to_weight(*r.cpu->shares)))
                       : property("CPUShares", Value::u64(*r.cpu->shares)));
  }
  if (r.cpu && r.cpu->quota && *r.cpu->quota != 0) {
    props.push_back(property("CPUQuotaPerSecUSec", Value::u64(cpu_quota_per_sec(
                                                       *r.cpu->quota, r.cpu->period.value_or(0)))));
  }
  if (r.block_io && r.block_io->weight) {
    props.push_back(
        v2 ? property("IOWeight", Value::u64(blkio_weight_to_io_weight(*r.block_io->weight)))
           : property("BlockIOWeight", Value::u64(*r.block_io->weight)));
  }
  if (r.pids && r.pids->limit > 0) {
    props.push_back(property("TasksMax", Value::u64(static_cast<uint64_t>(r.pids->limit))));
  }
}

}  // namespace

Result<std::string> systemd_unit_name(const CgroupsPath& path) {
  const std::string& n = path.name;
  if (n.size() > 6 && n.compare(n.size() - 6, 6, ".slice") == 0) {
    return Error::invalid("--systemd-cgroup: a slice (" + quote(n) +
                          ") as the container's unit is not supported, only scopes");
  }
  return (path.prefix.empty() ? "" : path.prefix + "-") + n + ".scope";
}

uint64_t cpu_quota_per_sec(int64_t quota, uint64_t period) {
  if (quota <= 0) return std::numeric_limits<uint64_t>::max();
  if (period == 0) period = 100000;
  uint64_t per_sec = static_cast<uint64_t>(quota) * 1000000 / period;
  if (per_sec % 10000 != 0) per_sec = (per_sec / 10000 + 1) * 10000;
  return per_sec;
}

Value unit_properties(const CgroupsPath& path, pid_t pid, const Resources* resources, bool v2) {
  std::vector<Value> props = {
      property("Description", Value::string("arca container " + path.name)),
      property("Slice", Value::string(path.slice)),
      property("Delegate", Value::boolean(true)),
      property("PIDs", Value::array("u", {Value::u32(static_cast<uint32_t>(pid))})),
      property("DefaultDependencies", Value::boolean(false)),
      property("MemoryAccounting", Value::boolean(true)),
      property("CPUAccounting", Value::boolean(true)),
      property(v2 ? "IOAccounting" : "BlockIOAccounting", Value::boolean(true)),
      property("TasksAccounting", Value::boolean(true)),
  };
  if (resources != nullptr) add_resources(props, *resources, v2);
  return Value::array("(sv)", std::move(props));
}

Result<std::string> unit_object_path(const dbus::Message& get_unit_reply) {
  if (get_unit_reply.body_signature() != "o") {
    return Error::invalid("GetUnit answered " + quote(get_unit_reply.body_signature()));
  }
  return get_unit_reply.body[0].str;
}

Result<std::string> unit_control_group(const dbus::Message& get_reply) {
  const auto& body = get_reply.body;
  if (get_reply.body_signature() != "v" || body[0].items.size() != 1 ||
      body[0].items[0].sig != "s") {
    std::string sig = get_reply.body_signature() == "v" && !body[0].items.empty()
                          ? "v(" + body[0].items[0].sig + ")"
                          : get_reply.body_signature();
    return Error::invalid("ControlGroup answered " + quote(sig));
  }
  const std::string& cg = body[0].items[0].str;
  bool ok = cg.size() > 1 && cg[0] == '/';
  for (size_t start = 1; ok && start <= cg.size();) {
    size_t end = cg.find('/', start);
    if (end == std::string::npos) end = cg.size();
    std::string_view part(cg.data() + start, end - start);
    ok = !part.empty() && part != "." && part != "..";
    start = end + 1;
  }
  if (!ok) return Error::invalid("ControlGroup " + quote(cg) + " is not a cgroup path");
  return cg;
}

bool systemd_bus_overridden() {
  const char* env = getenv("ARCA_SYSTEMD_BUS");
  return env != nullptr && *env != '\0';
}

SystemdBus systemd_bus() {
  SystemdBus out;
  if (systemd_bus_overridden()) {
    out.address = getenv("ARCA_SYSTEMD_BUS");
    out.bus = true;
    if (const char* t = getenv("ARCA_SYSTEMD_TIMEOUT_MS"); t != nullptr && atoll(t) > 0) {
      out.timeout_ms = atoll(t);
    }
    return out;
  }
  if (geteuid() == 0) {
    out.address = "/run/systemd/private";  // as runc (go-systemd) does for root
    return out;
  }
  const char* system = getenv("DBUS_SYSTEM_BUS_ADDRESS");
  out.address = system != nullptr ? system : "unix:path=/run/dbus/system_bus_socket";
  out.bus = true;
  return out;
}

}  // namespace arca::cgroups
