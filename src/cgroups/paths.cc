#include "cgroups/paths.h"

#include <algorithm>

#include "base/text.h"

namespace arca::cgroups {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::all_of(s.begin() + i + 1, s.begin() + i + 4,
                    [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool under(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.rfind(root, 0) == 0 && path[root.size()] == '/');
}

// The caller's path relative to the mount: strip the mount root when it is a prefix.
std::string own_below_mount(const std::string& own, const std::string& root) {
  if (root == "/" || !under(own, root)) return join_path(own, "");
  return join_path(own.substr(root.size()), "");
}

bool has_option(const CgroupMount& m, const std::string& option) {
  return std::find(m.options.begin(), m.options.end(), option) != m.options.end();
}

// The mount of a v1 hierarchy: its super options hold every controller of the line.
const CgroupMount* mount_for(const std::vector<CgroupMount>& mounts, const ProcCgroup& line) {
  const CgroupMount* best = nullptr;
  for (const auto& m : mounts) {
    if (m.v2 || line.controllers.empty()) continue;
    bool all = std::all_of(line.controllers.begin(), line.controllers.end(),
                           [&](const std::string& c) { return has_option(m, c); });
    if (!all || !under(line.path, m.root)) continue;
    // Several mounts of one hierarchy (binds): prefer the widest (shortest root).
    if (best == nullptr || m.root.size() < best->root.size()) best = &m;
  }
  return best;
}

const CgroupMount* v2_mount(const std::vector<CgroupMount>& mounts) {
  const CgroupMount* best = nullptr;
  for (const auto& m : mounts) {
    if (!m.v2) continue;
    if (m.mount_point == "/sys/fs/cgroup") return &m;
    if (best == nullptr) best = &m;
  }
  return best;
}

}  // namespace

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kV1:
      return "v1";
    case Mode::kV2:
      return "v2";
    case Mode::kHybrid:
      return "hybrid";
  }
  return "?";
}

std::string join_path(const std::string& a, const std::string& b) {
  std::string out;
  for (const std::string* s : {&a, &b}) {
    for (const auto& part : split(*s, '/')) {
      if (!part.empty() && part != ".") out += "/" + part;
    }
  }
  return out.empty() ? "/" : out;
}

bool Hierarchy::has(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

const Hierarchy* HostCgroups::find(const std::string& controller) const {
  for (const auto& h : v1) {
    if (h.has(controller)) return &h;
  }
  return nullptr;
}

Result<std::vector<ProcCgroup>> parse_proc_cgroup(const std::string& text) {
  std::vector<ProcCgroup> out;
  int number = 0;
  for (const std::string& line : text::lines(text)) {
    ++number;
    if (line.empty()) continue;
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    std::string id = line.substr(0, a);
    if (b == std::string::npos || id.empty() ||
        id.find_first_not_of("0123456789") != std::string::npos || line[b + 1] != '/') {
      return Error::invalid("/proc/self/cgroup: line " + std::to_string(number) + ": malformed " +
                            quote(line));
    }
    ProcCgroup entry;
    entry.id = std::stoi(id);
    std::string controllers = line.substr(a + 1, b - a - 1);
    if (!controllers.empty()) entry.controllers = split(controllers, ',');
    entry.path = line.substr(b + 1);
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::vector<CgroupMount>> parse_cgroup_mounts(const std::string& mountinfo) {
  std::vector<CgroupMount> out;
  int number = 0;
  for (const std::string& line : text::lines(mountinfo)) {
    ++number;
    std::vector<std::string> fields = text::words(line);
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.empty()) continue;
    if (fields.size() < 10 || dash == fields.end() || dash - fields.begin() < 6 ||
        fields.end() - dash < 4) {
      return Error::invalid("/proc/self/mountinfo: line " + std::to_string(number) + ": malformed");
    }
    const std::string& fstype = *(dash + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.root = unescape(fields[3]);
    m.mount_point = unescape(fields[4]);
    m.v2 = fstype == "cgroup2";
    m.options = split(*(dash + 3), ',');
    out.push_back(std::move(m));
  }
  return out;
}

Result<HostCgroups> host_cgroups(const std::string& proc_cgroup, const std::string& mountinfo) {
  ARCA_ASSIGN(auto lines, parse_proc_cgroup(proc_cgroup));
  ARCA_ASSIGN(auto mounts, parse_cgroup_mounts(mountinfo));
  HostCgroups host;
  bool v1_controllers = false;
  for (const auto& line : lines) {
    if (line.controllers.empty()) {
      const CgroupMount* m = v2_mount(mounts);
      if (m == nullptr) continue;
      host.unified = Hierarchy{{}, m->mount_point, own_below_mount(line.path, m->root), true};
      continue;
    }
    const CgroupMount* m = mount_for(mounts, line);
    if (m == nullptr) continue;  // a hierarchy this mount namespace does not see
    host.v1.push_back(
        Hierarchy{line.controllers, m->mount_point, own_below_mount(line.path, m->root), false});
    for (const auto& c : line.controllers) {
      if (c.rfind("name=", 0) != 0) v1_controllers = true;
    }
  }
  if (host.unified && host.unified->mount_point == "/sys/fs/cgroup") {
    host.mode = Mode::kV2;
  } else if (v1_controllers) {
    host.mode = host.unified ? Mode::kHybrid : Mode::kV1;
  } else if (host.unified) {
    host.mode = Mode::kV2;
  } else {
    return Error::invalid("no cgroup hierarchy is mounted (see /proc/self/mountinfo)");
  }
  if (host.mode == Mode::kV2) host.v1.clear();
  return host;
}

Result<std::string> systemd_unit_path(const std::string& slice, const std::string& unit) {
  const std::string suffix = ".slice";
  bool ok = slice.size() > suffix.size() &&
            slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            slice.find('/') == std::string::npos;
  std::string stem = ok ? slice.substr(0, slice.size() - suffix.size()) : "";
  if (!ok || (stem != "-" && (stem.front() == '-' || stem.back() == '-' ||
                              stem.find("--") != std::string::npos))) {
    return Error::invalid("invalid systemd slice name " + quote(slice));
  }
  std::string path;
  if (stem != "-") {
    // "a-b-c.slice" lives in a.slice/a-b.slice/a-b-c.slice.
    std::string prefix;
    for (const auto& part : split(stem, '-')) {
      prefix += prefix.empty() ? part : "-" + part;
      path += "/" + prefix + suffix;
    }
  }
  return join_path(path, unit);
}

Result<CgroupsPath> parse_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                       bool systemd, bool systemd_running) {
  CgroupsPath out;
  if (systemd) {
    if (!systemd_running) {
      return Error::invalid("--systemd-cgroup: systemd is not running as PID 1");
    }
    out.kind = CgroupsPath::Kind::kSystemd;
    std::string spec = cgroups_path.empty() ? ":arca:" + id : cgroups_path;
    auto parts = split(spec, ':');
    if (parts.size() != 3 || parts[2].empty()) {
      return Error::invalid("linux.cgroupsPath " + quote(cgroups_path) +
                            ": with --systemd-cgroup it must be \"slice:prefix:name\"");
    }
    out.slice = parts[0].empty() ? "system.slice" : parts[0];
    out.prefix = parts[1];
    out.name = parts[2];
    ARCA_TRY(systemd_unit_path(out.slice, "x.scope"));
    return out;
  }
  std::string path = cgroups_path.empty() ? id : cgroups_path;
  for (const auto& part : split(path, '/')) {
    if (part == "..") {
      return Error::invalid("linux.cgroupsPath " + quote(cgroups_path) +
                            ": must not contain \"..\"");
    }
  }
  if (path.find(':') != std::string::npos && path.front() != '/' &&
      std::count(path.begin(), path.end(), ':') == 2) {
    return Error::invalid("linux.cgroupsPath " + quote(cgroups_path) +
                          ": looks like a systemd path (slice:prefix:name); use "
                          "--systemd-cgroup");
  }
  out.kind = path.front() == '/' ? CgroupsPath::Kind::kAbsolute : CgroupsPath::Kind::kRelative;
  out.path = join_path(path, "");
  if (out.path == "/") {
    return Error::invalid("linux.cgroupsPath " + quote(cgroups_path) +
                          ": must not be a hierarchy root");
  }
  return out;
}

std::string resolve(const CgroupsPath& path, const Hierarchy& hierarchy) {
  switch (path.kind) {
    case CgroupsPath::Kind::kAbsolute:
      return path.path;
    case CgroupsPath::Kind::kRelative:
      return join_path(hierarchy.own_path, path.path);
    case CgroupsPath::Kind::kSystemd: {
      std::string unit = path.name;
      bool is_slice = unit.size() > 6 && unit.compare(unit.size() - 6, 6, ".slice") == 0;
      if (!is_slice) unit = (path.prefix.empty() ? "" : path.prefix + "-") + unit + ".scope";
      auto p = systemd_unit_path(path.slice, unit);
      return p ? *p : join_path(path.slice, unit);
    }
  }
  return path.path;
}

}  // namespace arca::cgroups
