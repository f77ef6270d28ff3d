#include "cgroups/manager.h"

#include "cgroups/systemd_manager.h"
#include "cgroups/systemd_units.h"
#include "linux/syscalls.h"

namespace arca::cgroups {
namespace {

bool systemd_is_pid1() {
  auto comm = linux_sys::read_file("/proc/1/comm");
  return comm && *comm == "systemd\n";
}

std::unique_ptr<Manager> make_fs_manager(const HostCgroups& host, const CgroupsPath& path,
                                         const ManagerOptions& options) {
  if (host.mode == Mode::kV2) return make_v2_manager(host, path, options);
  return make_v1_manager(host, path, options);
}

}  // namespace

Result<std::unique_ptr<Manager>> make_manager(const HostCgroups& host, const CgroupsPath& path,
                                              const ManagerOptions& options,
                                              const Resources* resources) {
  if (host.mode == Mode::kV2 && !host.unified) {
    return Error::invalid("cgroup v2 host without a cgroup2 mount");
  }
  std::unique_ptr<Manager> fs = make_fs_manager(host, path, options);
  if (path.kind != CgroupsPath::Kind::kSystemd) return fs;
  auto at = [host, options](const CgroupsPath& p) { return make_fs_manager(host, p, options); };
  return make_systemd_manager(host, path, std::move(fs), std::move(at), resources);
}

Result<std::unique_ptr<Manager>> open_manager(const std::string& cgroups_path,
                                              const std::string& id, bool systemd,
                                              const Resources* resources) {
  ARCA_ASSIGN(std::string proc_cgroup, linux_sys::read_file("/proc/self/cgroup"));
  ARCA_ASSIGN(std::string mountinfo, linux_sys::read_file("/proc/self/mountinfo"));
  ARCA_ASSIGN(HostCgroups host, host_cgroups(proc_cgroup, mountinfo));
  // ARCA_SYSTEMD_BUS (a test hook) stands in for systemd as PID 1.
  bool running = systemd && (systemd_bus_overridden() || systemd_is_pid1());
  ARCA_ASSIGN(CgroupsPath path, parse_cgroups_path(cgroups_path, id, systemd, running));
  return make_manager(host, path, {}, resources);
}

}  // namespace arca::cgroups
