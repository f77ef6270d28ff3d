// linux.sysctl: only keys the container's own namespaces isolate may be written, otherwise
// the write would change the host (runc's rule).
#include <sched.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "plan/launch.h"
#include "spec/json_reader.h"

namespace arca::plan {
namespace {

// IPC-namespaced keys outside fs.mqueue.*.
constexpr std::array<std::string_view, 8> kIpcKeys{{
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
}};

// Keys may use "." or "/" as separator (as sysctl(8) accepts). With "/", dots belong to
// the component: "net/ipv4/conf/eth0.100/forwarding" names a VLAN interface.
char separator(const std::string& key) { return key.find('/') != std::string::npos ? '/' : '.'; }

// Each component must be a real name: ".." or an empty component would let the write
// escape /proc/sys or land on a different file than the key names.
bool valid_key(const std::string& key) {
  if (key.empty()) return false;
  const char sep = separator(key);
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find(sep, start);
    if (end == std::string::npos) end = key.size();
    std::string_view part(key.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// The dotted form, used to classify keys written with "/".
std::string dotted(const std::string& key) {
  if (separator(key) == '.') return key;
  std::string out = key;
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

std::string sysctl_path(const std::string& key) {
  std::string rel = key;
  if (separator(key) == '.') std::replace(rel.begin(), rel.end(), '.', '/');
  return "/proc/sys/" + rel;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Status check_sysctl(const std::string& key, int clone_flags, bool joins_net, bool joins_ipc,
                    bool joins_uts) {
  if (!valid_key(key)) return Error::invalid("invalid sysctl key " + quote(key));
  const std::string name = dotted(key);
  const bool ipc_key = starts_with(name, "fs.mqueue.") ||
                       std::find(kIpcKeys.begin(), kIpcKeys.end(), name) != kIpcKeys.end();
  if (ipc_key) {
    if ((clone_flags & CLONE_NEWIPC) || joins_ipc) return {};
    return Error::invalid("sysctl " + quote(key) + " requires an IPC namespace");
  }
  if (starts_with(name, "net.")) {
    if ((clone_flags & CLONE_NEWNET) || joins_net) return {};
    return Error::invalid("sysctl " + quote(key) + " requires a network namespace");
  }
  if (name == "kernel.hostname" || name == "kernel.domainname") {
    if ((clone_flags & CLONE_NEWUTS) || joins_uts) return {};
    return Error::invalid("sysctl " + quote(key) + " requires a UTS namespace");
  }
  return Error::invalid("sysctl " + quote(key) +
                        " is not namespaced and cannot be set in a container");
}

Status plan_sysctls(const spec::Config& config, Launch* launch) {
  auto joins = [&](int flag) {
    return std::any_of(launch->joins.begin(), launch->joins.end(),
                       [flag](const NamespaceJoin& j) { return j.clone_flag == flag; });
  };
  const bool net = joins(CLONE_NEWNET), ipc = joins(CLONE_NEWIPC), uts = joins(CLONE_NEWUTS);
  launch->sysctls.clear();
  for (const auto& [key, value] : config.linux.sysctl) {
    auto ok = check_sysctl(key, launch->clone_flags, net, ipc, uts);
    if (!ok) return std::move(ok).error().context("/linux/sysctl/" + spec::pointer_token(key));
    launch->sysctls.push_back({key, sysctl_path(key), value});
  }

  // Without a UTS namespace of its own, sethostname would rename the host.
  const bool has_uts = (launch->clone_flags & CLONE_NEWUTS) || uts;
  if (config.has_hostname) {
    if (!config.hostname.empty() && !has_uts) {
      return Error::invalid("/hostname: setting the hostname needs a UTS namespace");
    }
    launch->hostname = config.hostname;
  }
  if (config.has_domainname) {
    if (!config.domainname.empty() && !has_uts) {
      return Error::invalid("/domainname: setting the domainname needs a UTS namespace");
    }
    launch->domainname = config.domainname;
  }
  return {};
}

}  // namespace arca::plan
