// update: change the resources of a created, running or paused container, writing into
// the cgroup directories create recorded (a relative cgroupsPath cannot be re-resolved).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cgroups/container_resources.h"
#include "cgroups/recorded_manager.h"
#include "container.h"

namespace arca::cli {

namespace {

using nlohmann::json;

enum class Kind { kSize, kInt, kUint, kText };

// One resource flag: where its value goes in a LinuxResources document.
struct Flag {
  const char* name;  // "memory" for --memory
  const char* help;
  Kind kind;
  const char* section;  // "memory", "cpu", ...; nullptr: accepted and ignored
  const char* key;
};

// --kernel-memory(-tcp) are accepted and ignored, as runc does since kernels dropped kmem
// limits (writing them would fail on every current kernel).
constexpr Flag kFlags[] = {
    {"memory", "memory limit (bytes, or with a unit: 512m, 1g; -1 = unlimited)", Kind::kSize,
     "memory", "limit"},
    {"memory-reservation", "memory soft limit", Kind::kSize, "memory", "reservation"},
    {"memory-swap", "memory+swap limit (-1 = unlimited)", Kind::kSize, "memory", "swap"},
    {"kernel-memory", "ignored (kernel memory limits are gone)", Kind::kSize, nullptr, nullptr},
    {"kernel-memory-tcp", "ignored (kernel memory limits are gone)", Kind::kSize, nullptr, nullptr},
    {"cpu-shares", "CPU shares (relative weight)", Kind::kUint, "cpu", "shares"},
    {"cpu-quota", "CPU CFS quota in microseconds per period", Kind::kInt, "cpu", "quota"},
    {"cpu-period", "CPU CFS period in microseconds", Kind::kUint, "cpu", "period"},
    {"cpu-rt-runtime", "CPU realtime runtime in microseconds", Kind::kInt, "cpu",
     "realtimeRuntime"},
    {"cpu-rt-period", "CPU realtime period in microseconds", Kind::kUint, "cpu", "realtimePeriod"},
    {"cpuset-cpus", "CPUs to use (0-3, 0,1)", Kind::kText, "cpu", "cpus"},
    {"cpuset-mems", "memory nodes to use (0-3, 0,1)", Kind::kText, "cpu", "mems"},
    {"pids-limit", "maximum number of pids (<= 0 = unlimited)", Kind::kInt, "pids", "limit"},
    {"blkio-weight", "block IO weight (10..1000)", Kind::kUint, "blockIO", "weight"},
};
constexpr size_t kFlagCount = sizeof(kFlags) / sizeof(kFlags[0]);

struct UpdateOptions {
  std::string id;
  std::string resources_file;
  std::string values[kFlagCount];
  std::string l3_cache_schema;
  std::string mem_bw_schema;
};

Result<json> flag_value(const Flag& f, const std::string& text) {
  if (f.kind == Kind::kText) return json(text);
  if (f.kind == Kind::kSize) {
    ARCA_ASSIGN(int64_t bytes, cgroups::parse_ram_bytes(text));
    return json(bytes);
  }
  const char* s = text.c_str();
  bool negative_ok = f.kind == Kind::kInt;
  if (*s == '-' && negative_ok) ++s;
  if (*s == '\0' || std::string(s).find_first_not_of("0123456789") != std::string::npos ||
      strlen(s) > 18) {
    return Error::invalid(std::string("invalid ") + (negative_ok ? "integer " : "number ") +
                          quote(text));
  }
  if (f.kind == Kind::kInt) return json(static_cast<int64_t>(strtoll(text.c_str(), nullptr, 10)));
  return json(static_cast<uint64_t>(strtoull(text.c_str(), nullptr, 10)));
}

// POSIX reads rather than iostreams: iostream's static initialisation would cost every
// verb start-up time in the static binary.
Result<std::string> read_resources_file(const std::string& path) {
  int fd = path == "-" ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::os("open " + quote(path));
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  }
  int saved = errno;
  if (fd != STDIN_FILENO) close(fd);
  if (n < 0) return Error(saved, "read " + quote(path));
  return text;
}

// A parse error of a one-value document names the flag instead of the JSON pointer.
Error flag_error(Error e, const Flag& f) {
  std::string pointer = std::string("/") + f.section + "/" + f.key + ": ";
  std::string message = e.message();
  if (message.rfind(pointer, 0) == 0) message = message.substr(pointer.size());
  return Error(e.code(), std::string("--") + f.name + ": " + message);
}

// The resources to write: the file's (if any), then every flag over it.
Result<cgroups::Resources> build_resources(const UpdateOptions& o) {
  if (!o.l3_cache_schema.empty() || !o.mem_bw_schema.empty()) {
    return Error::invalid("--l3-cache-schema / --mem-bw-schema: Intel RDT is not supported");
  }
  json doc = json::object();
  if (!o.resources_file.empty()) {
    std::string where = "--resources " + quote(o.resources_file);
    auto text = read_resources_file(o.resources_file);
    if (!text) return std::move(text).error().context(where);
    doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Error::invalid(where + ": not a JSON object");
    }
    auto r = cgroups::parse_resources(doc, "");
    if (!r) return std::move(r).error().context(where);
  }
  for (size_t i = 0; i < kFlagCount; ++i) {
    const Flag& f = kFlags[i];
    if (o.values[i].empty()) continue;
    auto value = flag_value(f, o.values[i]);
    if (!value) return std::move(value).error().context(std::string("--") + f.name);
    if (f.section == nullptr) continue;
    json one = {{f.section, {{f.key, *value}}}};
    if (auto r = cgroups::parse_resources(one, ""); !r) return flag_error(r.error(), f);
    doc[f.section][f.key] = *value;
  }
  // Kernel memory limits are gone from current kernels; a file carrying them is accepted
  // as the flags are.
  if (doc.contains("memory") && doc["memory"].is_object()) {
    doc["memory"].erase("kernel");
    doc["memory"].erase("kernelTCP");
  }
  ARCA_ASSIGN(cgroups::Resources resources, cgroups::parse_resources(doc, ""));
  // Device rules replace the container's (crun does so; runc ignores them), with the
  // defaults every container gets appended as at create.
  if (resources.devices) {
    for (auto& rule : cgroups::default_device_rules({})) resources.devices->push_back(rule);
  }
  return resources;
}

Result<int> update(const Globals& g, const UpdateOptions& o) {
  // Everything is checked before the container is touched: a bad value changes nothing.
  ARCA_ASSIGN(cgroups::Resources resources, build_resources(o));
  ARCA_ASSIGN(Container c, open_container(g, o.id, true));
  if (c.status != state::Status::created && c.status != state::Status::running &&
      c.status != state::Status::paused) {
    return Error::invalid(std::string("container is ") + state::to_string(c.status));
  }
  auto it = c.record.extra.find("cgroup");
  if (it == c.record.extra.end()) return Error::invalid("the container has no cgroup");
  ARCA_TRY(cgroups::apply_recorded(*it, resources));
  return 0;
}

}  // namespace

void add_update(args::Command& app, Globals& g, Action& action) {
  static UpdateOptions o;
  auto* sub = app.add_subcommand("update", "change a container's resources");
  sub->add_option("-r,--resources", o.resources_file,
                  "JSON file of linux.resources to apply (\"-\" = stdin)");
  for (size_t i = 0; i < kFlagCount; ++i) {
    sub->add_option(std::string("--") + kFlags[i].name, o.values[i], kFlags[i].help);
  }
  sub->add_option("--l3-cache-schema", o.l3_cache_schema, "Intel RDT (not supported)");
  sub->add_option("--mem-bw-schema", o.mem_bw_schema, "Intel RDT (not supported)");
  sub->add_option("id", o.id, "container id")->required();
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = update(g, o);
      if (!r) return std::move(r).error().context(op("update", o.id));
      return r;
    };
  });
}

}  // namespace arca::cli
