#include "image/shell_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "cgroups/recorded_manager.h"
#include "plan/launch.h"
#include "spec/default_config.h"
#include "spec/parse.h"

namespace arca::image {

namespace {

using nlohmann::json;

const char* const kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::optional<uint32_t> parse_id(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// The fields of the first passwd/group line whose field `key_index` is `name`.
std::optional<std::vector<std::string>> find_entry(const std::string& table,
                                                   const std::string& name, size_t key_index) {
  for (const auto& line : text::split(table, '\n')) {
    auto fields = text::split(line, ':');
    if (fields.size() > key_index && fields.size() >= 4 && fields[key_index] == name) {
      return fields;
    }
  }
  return std::nullopt;
}

// Sets K=V in env, replacing an earlier K.
void set_env(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  auto same = [&](const std::string& e) { return e.substr(0, e.find('=')) == key; };
  env.erase(std::remove_if(env.begin(), env.end(), same), env.end());
  env.push_back(entry);
}

// "-e K=V" as is; "-e K" with the host's value, or nothing when the host has none.
Status add_env_flag(std::vector<std::string>& env, const std::string& flag, const ShellInputs& in,
                    const std::string& where) {
  if (flag.empty() || flag.front() == '=') {
    return Error::invalid(where + " " + quote(flag) + ": must be NAME=VALUE or NAME");
  }
  if (flag.find('=') != std::string::npos) {
    set_env(env, flag);
    return {};
  }
  if (in.host_env) {
    if (auto value = in.host_env(flag)) set_env(env, flag + "=" + *value);
  }
  return {};
}

Result<std::vector<std::string>> make_env(const ShellOptions& o, const ShellInputs& in,
                                          const std::string& hostname) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath,
                                  "TERM=" + (in.term.empty() ? std::string("xterm") : in.term),
                                  "HOSTNAME=" + hostname};
  for (const auto& e : in.image.env) set_env(env, e);
  for (const auto& [name, text] : in.env_files) {
    auto lines = parse_env_file(text);
    if (!lines) return std::move(lines).error().context("--env-file " + quote(name));
    for (const auto& line : *lines) ARCA_TRY(add_env_flag(env, line, in, "--env-file"));
  }
  for (const auto& e : o.env) ARCA_TRY(add_env_flag(env, e, in, "--env"));
  return env;
}

Result<std::vector<std::string>> make_args(const ShellOptions& o, const ImageConfig& image) {
  std::vector<std::string> args = image.entrypoint;
  const auto& rest = o.command.empty() ? image.cmd : o.command;
  args.insert(args.end(), rest.begin(), rest.end());
  if (args.empty()) args.push_back("/bin/sh");
  if (args.front().empty()) return Error::invalid("command: must not be empty");
  return args;
}

Status check_hostname(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  if (!ok) {
    return Error::invalid("--hostname " + quote(name) +
                          ": must be 1 to 64 letters, digits, '-' or '.'");
  }
  return {};
}

// "net_admin" -> "CAP_NET_ADMIN"; "ALL" stays.
Result<std::string> cap_name(const std::string& flag, const char* where) {
  std::string name = flag;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name == "ALL") return name;
  if (name.rfind("CAP_", 0) != 0) name = "CAP_" + name;
  if (auto n = plan::capability_number(name); !n) {
    return Error::invalid(std::string(where) + ": unknown capability " + quote(flag));
  }
  return name;
}

Result<std::vector<std::string>> make_caps(const ShellOptions& o) {
  std::vector<std::string> caps = default_capabilities();
  for (const auto& flag : o.cap_add) {
    ARCA_ASSIGN(std::string name, cap_name(flag, "--cap-add"));
    if (name == "ALL") {
      caps = plan::capability_names();
    } else if (std::find(caps.begin(), caps.end(), name) == caps.end()) {
      caps.push_back(name);
    }
  }
  for (const auto& flag : o.cap_drop) {
    ARCA_ASSIGN(std::string name, cap_name(flag, "--cap-drop"));
    if (name == "ALL") {
      caps.clear();
    } else {
      caps.erase(std::remove(caps.begin(), caps.end(), name), caps.end());
    }
  }
  return caps;
}

// Deny every device, then allow what runc allows by default: the default nodes, the
// terminal devices, and mknod (not use) of anything. Written out because the cgroup
// layer applies only the rules the config gives.
json device_rules() {
  auto allow = [](const char* type, int64_t major, int64_t minor, const char* access) {
    json rule = {{"allow", true}, {"type", type}, {"access", access}};
    if (major >= 0) rule["major"] = major;
    if (minor >= 0) rule["minor"] = minor;
    return rule;
  };
  json rules = json::array(
      {{{"allow", false}, {"access", "rwm"}}, allow("c", -1, -1, "m"), allow("b", -1, -1, "m")});
  for (const auto& node : plan::default_devices())
    rules.push_back(allow("c", node.major, node.minor, "rwm"));
  rules.push_back(allow("c", 5, 2, "rwm"));     // /dev/ptmx
  rules.push_back(allow("c", 136, -1, "rwm"));  // /dev/pts/*
  return rules;
}

Result<json> make_resources(const ShellOptions& o, const ShellInputs& in) {
  json resources = json::object();
  if (!o.memory.empty()) {
    auto bytes = cgroups::parse_ram_bytes(o.memory);
    if (!bytes) return Error::invalid("--memory " + quote(o.memory) + ": not a size (512m, 2g)");
    if (*bytes == 0 || *bytes < -1)
      return Error::invalid("--memory " + quote(o.memory) + ": must be > 0");
    if (*bytes > 0) resources["memory"] = {{"limit", *bytes}};
  } else if (in.host_memory > 0) {
    resources["memory"] = {{"limit", in.host_memory / 2}};
  }
  if (!o.cpus.empty()) {
    char* end = nullptr;
    double cpus = strtod(o.cpus.c_str(), &end);
    if (end == o.cpus.c_str() || *end != '\0' || !std::isfinite(cpus) || cpus < 0.01 ||
        cpus > 1e6) {
      return Error::invalid("--cpus " + quote(o.cpus) + ": must be a number of CPUs (0.5, 2)");
    }
    const int64_t period = 100000;
    resources["cpu"] = {{"quota", std::llround(cpus * period)}, {"period", period}};
  }
  resources["devices"] = device_rules();
  int64_t pids = o.pids_limit.value_or(kDefaultPidsLimit);
  if (pids == 0 || pids < -1) {
    return Error::invalid("--pids-limit " + std::to_string(pids) + ": must be > 0 (or -1)");
  }
  if (pids > 0) resources["pids"] = {{"limit", pids}};
  return resources;
}

json bind_mount(const std::string& source, const std::string& destination, bool read_only) {
  json options = json::array({"rbind", "nosuid", "nodev"});
  if (read_only) options.push_back("ro");
  return {{"destination", destination}, {"type", "bind"}, {"source", source}, {"options", options}};
}

}  // namespace

Result<Volume> parse_volume(const std::string& text) {
  auto parts = text::split(text, ':');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return Error::invalid("--volume " + quote(text) + ": must be SOURCE:DESTINATION[:ro]");
  }
  Volume v{parts[0], parts[1], false};
  if (v.destination.front() != '/') {
    return Error::invalid("--volume " + quote(text) + ": destination must be absolute");
  }
  if (parts.size() == 3) {
    if (parts[2] != "ro" && parts[2] != "rw") {
      return Error::invalid("--volume " + quote(text) + ": unknown option " + quote(parts[2]) +
                            " (ro or rw)");
    }
    v.read_only = parts[2] == "ro";
  }
  return v;
}

Result<std::vector<std::string>> parse_env_file(const std::string& text) {
  std::vector<std::string> out;
  int number = 0;
  for (auto line : text::split(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first);
    if (line.front() == '=' || line.find_first_of(" \t") < line.find('=')) {
      return Error::invalid("line " + std::to_string(number) + ": must be NAME=VALUE or NAME");
    }
    out.push_back(line);
  }
  return out;
}

Result<UserIds> resolve_user(const std::string& spec, const std::string& passwd,
                             const std::string& group) {
  auto parts = text::split(spec, ':');
  if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty())) {
    return Error::invalid("user " + quote(spec) + ": must be UID[:GID] or NAME[:GROUP]");
  }
  UserIds ids;
  std::optional<std::vector<std::string>> entry;
  if (auto uid = parse_id(parts[0])) {
    ids.uid = *uid;
    entry = find_entry(passwd, parts[0], 2);
  } else {
    entry = find_entry(passwd, parts[0], 0);
    if (!entry)
      return Error::invalid("user " + quote(parts[0]) + ": not in the image's /etc/passwd");
    auto listed = parse_id((*entry)[2]);
    if (!listed) return Error::invalid("user " + quote(parts[0]) + ": bad uid in /etc/passwd");
    ids.uid = *listed;
  }
  if (entry) ids.gid = parse_id((*entry)[3]).value_or(0);
  if (parts.size() == 2) {
    if (auto gid = parse_id(parts[1])) {
      ids.gid = *gid;
    } else {
      auto g = find_entry(group, parts[1], 0);
      auto listed = g ? parse_id((*g)[2]) : std::nullopt;
      if (!listed)
        return Error::invalid("group " + quote(parts[1]) + ": not in the image's /etc/group");
      ids.gid = *listed;
    }
  }
  return ids;
}

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

Result<std::string> make_shell_config_text(const ShellOptions& o, const ShellInputs& in) {
  std::string hostname = o.hostname.empty() ? in.name : o.hostname;
  ARCA_TRY(check_hostname(hostname));
  if (o.net != "none" && o.net != "host") {
    return Error::invalid("--net " + quote(o.net) + ": must be none or host");
  }
  std::string cwd = !o.workdir.empty() ? o.workdir : in.image.working_dir;
  if (cwd.empty()) cwd = "/";
  if (cwd.front() != '/') return Error::invalid("--workdir " + quote(cwd) + ": must be absolute");
  UserIds ids;
  if (std::string user = o.user.empty() ? in.image.user : o.user; !user.empty()) {
    auto resolved = resolve_user(user, in.passwd, in.group);
    if (!resolved) return std::move(resolved).error().context(o.user.empty() ? "image" : "--user");
    ids = *resolved;
  }
  ARCA_ASSIGN(auto env, make_env(o, in, hostname));
  ARCA_ASSIGN(auto args, make_args(o, in.image));
  ARCA_ASSIGN(auto caps, make_caps(o));

  json j = spec::default_config_json(false);
  json& p = j["process"];
  p["terminal"] = in.terminal;
  p["args"] = args;
  p["env"] = env;
  p["cwd"] = cwd;
  p["user"] = {{"uid", ids.uid}, {"gid", ids.gid}};
  p["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  j["root"] = {{"path", in.rootfs}, {"readonly", o.read_only}};
  j["hostname"] = hostname;
  json& lin = j["linux"];
  json namespaces = json::array();
  for (const auto& ns : lin["namespaces"]) {
    if (!(o.net == "host" && ns["type"] == "network")) namespaces.push_back(ns);
  }
  // No cgroup namespace (as Docker on cgroup v1): on a v1 host the rootfs layer then binds
  // the host's whole hierarchy at /sys/fs/cgroup instead of the container's own cgroup.
  lin["namespaces"] = namespaces;
  ARCA_ASSIGN(lin["resources"], make_resources(o, in));
  for (const auto& v : in.volumes)
    j["mounts"].push_back(bind_mount(v.source, v.destination, v.read_only));
  if (o.net == "host" && in.resolv_conf) {
    j["mounts"].push_back(bind_mount("/etc/resolv.conf", "/etc/resolv.conf", true));
  }
  if (!in.annotations.empty()) j["annotations"] = in.annotations;
  return j.dump();
}

Result<spec::Config> make_shell_config(const ShellOptions& o, const ShellInputs& in) {
  ARCA_ASSIGN(std::string text, make_shell_config_text(o, in));
  auto config = spec::parse_config(text);
  if (!config) return std::move(config).error().context("shell config");
  return config;
}

}  // namespace arca::image
