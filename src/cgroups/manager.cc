#include "cgroups/manager.h"

#include "linux/syscalls.h"

namespace arca::cgroups {
namespace {

bool systemd_is_pid1() {
  auto comm = linux_sys::read_file("/proc/1/comm");
  return comm && *comm == "systemd\n";
}

}  // namespace

Result<std::unique_ptr<Manager>> make_manager(const HostCgroups& host, const CgroupsPath& path,
                                              const ManagerOptions& options) {
  if (path.kind == CgroupsPath::Kind::kSystemd) {
    return Error::invalid("--systemd-cgroup: the systemd cgroup driver is not implemented yet");
  }
  if (host.mode == Mode::kV2) {
    if (!host.unified) return Error::invalid("cgroup v2 host without a cgroup2 mount");
    return make_v2_manager(host, path, options);
  }
  return make_v1_manager(host, path, options);
}

Result<std::unique_ptr<Manager>> open_manager(const std::string& cgroups_path,
                                              const std::string& id, bool systemd) {
  ARCA_ASSIGN(std::string proc_cgroup, linux_sys::read_file("/proc/self/cgroup"));
  ARCA_ASSIGN(std::string mountinfo, linux_sys::read_file("/proc/self/mountinfo"));
  ARCA_ASSIGN(HostCgroups host, host_cgroups(proc_cgroup, mountinfo));
  ARCA_ASSIGN(CgroupsPath path,
              parse_cgroups_path(cgroups_path, id, systemd, systemd && systemd_is_pid1()));
  return make_manager(host, path);
}

}  // namespace arca::cgroups
