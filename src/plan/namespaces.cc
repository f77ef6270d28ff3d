// linux.namespaces, id mappings and time offsets.
#include <sched.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "plan/launch.h"
#include "spec/json_reader.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

namespace arca::plan {
namespace {

struct NamespaceType {
  std::string_view name;
  int flag;
};

// Also the order joins happen in. The user namespace comes first so that the later setns
// calls are checked against the capabilities it grants; mount comes last because joining
// it changes how every later /proc/... namespace path resolves.
constexpr std::array<NamespaceType, 8> kNamespaces{{
    {"user", CLONE_NEWUSER},
    {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},
    {"network", CLONE_NEWNET},
    {"pid", CLONE_NEWPID},
    {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME},
    {"mount", CLONE_NEWNS},
}};

size_t join_rank(int flag) {
  for (size_t i = 0; i < kNamespaces.size(); ++i) {
    if (kNamespaces[i].flag == flag) return i;
  }
  return kNamespaces.size();
}

std::string time_offset_line(const char* clock, const spec::TimeOffset& offset) {
  return std::string(clock) + " " + std::to_string(offset.secs) + " " +
         std::to_string(offset.nanosecs) + "\n";
}

Status plan_time_offsets(const spec::Config& config, Launch* launch) {
  const auto& offsets = config.linux.time_offsets;
  if (offsets.empty()) return {};
  for (const auto& [clock, offset] : offsets) {
    const std::string at = "/linux/timeOffsets/" + spec::pointer_token(clock);
    if (clock != "monotonic" && clock != "boottime") {
      return Error::invalid(at + ": unknown clock " + quote(clock));
    }
    if (offset.nanosecs >= 1000000000u) {
      return Error::invalid(at + "/nanosecs: must be below 1000000000");
    }
  }
  // timens_offsets can only be written for a namespace nobody has entered yet.
  if (!(launch->clone_flags & CLONE_NEWTIME)) {
    return Error::invalid("/linux/timeOffsets: needs a new time namespace");
  }
  launch->time_offsets.clear();
  if (auto it = offsets.find("monotonic"); it != offsets.end()) {
    launch->time_offsets += time_offset_line("monotonic", it->second);
  }
  if (auto it = offsets.find("boottime"); it != offsets.end()) {
    launch->time_offsets += time_offset_line("boottime", it->second);
  }
  return {};
}

}  // namespace

Result<int> namespace_flag(const std::string& type) {
  for (const auto& ns : kNamespaces) {
    if (ns.name == type) return ns.flag;
  }
  return Error::invalid("unknown namespace " + quote(type));
}

std::string id_map_text(const std::vector<spec::IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) {
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  }
  return text;
}

Status plan_namespaces(const spec::Config& config, Launch* launch) {
  launch->clone_flags = 0;
  launch->joins.clear();
  int seen = 0;
  for (size_t i = 0; i < config.linux.namespaces.size(); ++i) {
    const auto& ns = config.linux.namespaces[i];
    const std::string at = "/linux/namespaces/" + std::to_string(i);
    auto flag = namespace_flag(ns.type);
    if (!flag) return std::move(flag).error().context(at + "/type");
    if (seen & *flag) return Error::invalid(at + ": duplicate namespace " + quote(ns.type));
    seen |= *flag;
    if (ns.path.empty()) {
      launch->clone_flags |= *flag;
    } else {
      launch->joins.push_back({*flag, ns.type, ns.path});
    }
  }
  std::stable_sort(launch->joins.begin(), launch->joins.end(),
                   [](const NamespaceJoin& a, const NamespaceJoin& b) {
                     return join_rank(a.clone_flag) < join_rank(b.clone_flag);
                   });
  launch->new_user_ns = (launch->clone_flags & CLONE_NEWUSER) != 0;
  // setns into a user or pid namespace only affects the caller's children (pid) or is
  // refused to multithreaded callers (user), so an intermediate process must do it first.
  launch->needs_intermediate =
      std::any_of(launch->joins.begin(), launch->joins.end(), [](const NamespaceJoin& j) {
        return j.clone_flag == CLONE_NEWUSER || j.clone_flag == CLONE_NEWPID;
      });

  // Mappings are written by the parent into a user namespace the container creates; with
  // no new user namespace there is nothing to write them to.
  const spec::Linux& lx = config.linux;
  if (!launch->new_user_ns) {
    if (!lx.uid_mappings.empty()) {
      return Error::invalid("/linux/uidMappings: needs a new user namespace");
    }
    if (!lx.gid_mappings.empty()) {
      return Error::invalid("/linux/gidMappings: needs a new user namespace");
    }
  }
  launch->uid_map = id_map_text(lx.uid_mappings);
  launch->gid_map = id_map_text(lx.gid_mappings);
  return plan_time_offsets(config, launch);
}

}  // namespace arca::plan
