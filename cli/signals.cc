#include "signals.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/log.h"
#include "cgroups/recorded.h"
#include "cgroups/systemd_manager.h"
#include "linux/syscalls.h"

namespace arca::cli {

Result<UniqueFd> open_init(const state::Record& record) {
  if (record.pid <= 0) return Error(ESRCH, "container init");
  auto fd = linux_sys::pidfd_open(record.pid);
  if (!fd) return Error(ESRCH, "container init");
  // Checked after the pidfd exists: from here on the pid cannot be recycled under us.
  if (state::process_start_time(record.pid) != record.start_time) {
    return Error(ESRCH, "container init");
  }
  return fd;
}

namespace {

ino_t pid_ns_inode(pid_t pid) {
  struct stat st;
  std::string path = pid == 0 ? "/proc/self/ns/pid" : "/proc/" + std::to_string(pid) + "/ns/pid";
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

void signal_cgroup(const state::Record& record, int sig, pid_t except) {
  auto it = record.extra.find("cgroup");
  if (it == record.extra.end()) return;
  if (auto pids = cgroups::recorded_pids(*it)) {
    for (pid_t pid : *pids) {
      if (pid != except) kill(pid, sig);  // best effort: processes come and go
    }
  }
}

namespace {
void thaw_if_frozen(const state::Record& record) {
  // A frozen (paused) task acts on SIGKILL only once thawed (cgroup v1 freezer).
  if (auto it = record.extra.find("cgroup"); it != record.extra.end()) {
    if (cgroups::recorded_frozen(*it)) (void)cgroups::freeze_recorded(*it, false);
  }
}
}  // namespace

Status signal_init(const state::Record& record, int sig) {
  ARCA_ASSIGN(UniqueFd fd, open_init(record));
  if (linux_sys::pidfd_send_signal(fd.get(), sig) != 0) return Error::os("signal init");
  if (sig == SIGKILL) thaw_if_frozen(record);
  return {};
}

Status signal_all(const state::Record& record, int sig) {
  ARCA_ASSIGN(UniqueFd init, open_init(record));
  ino_t ns = pid_ns_inode(record.pid);
  if (ns != 0 && ns != pid_ns_inode(0)) {
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return Error::os("open /proc");
    while (dirent* e = readdir(proc)) {
      pid_t pid = atoi(e->d_name);
      if (pid <= 0 || pid == record.pid || pid_ns_inode(pid) != ns) continue;
      kill(pid, sig);  // best effort: processes come and go while we scan
    }
    closedir(proc);
  }
  // The cgroup also holds what the pid namespace scan misses: a container sharing the
  // host's pid namespace.
  signal_cgroup(record, sig, record.pid);
  if (linux_sys::pidfd_send_signal(init.get(), sig) != 0 && errno != ESRCH) {
    return Error::os("signal init");
  }
  if (sig == SIGKILL) thaw_if_frozen(record);
  return {};
}

Status destroy_cgroups(const state::Record& record) {
  if (auto unit = record.extra.find("systemd_unit"); unit != record.extra.end()) {
    // systemd unreachable must not make the container undeletable: warn, and remove the
    // directories below (an rmdir of a cgroup that still has processes fails anyway).
    if (auto s = cgroups::stop_systemd_unit(unit->get<std::string>()); !s) {
      log::warn("systemd unit " + quote(unit->get<std::string>()) + ": " + s.error().render());
    }
  }
  auto it = record.extra.find("cgroup");
  if (it == record.extra.end()) return {};
  auto destroyed = cgroups::destroy_recorded(*it);
  if (!destroyed) return std::move(destroyed).error().context("remove cgroup");
  return {};
}

Status kill_and_wait(const state::Record& record) {
  auto init = open_init(record);
  if (!init) return {};  // already gone
  ARCA_TRY(signal_all(record, SIGKILL));
  return linux_sys::wait_pidfd_exit(init->get());
}

}  // namespace arca::cli
