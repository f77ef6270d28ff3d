#include "process/exec_namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/unique_fd.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

namespace arca::process {

namespace {

struct NamespaceFile {
  const char* name;  // under /proc/PID/ns/
  int flag;
};

// The join order of the one-by-one fallback: user first, so the joins after it are
// checked against the capabilities it grants; mount last, since joining it changes what
// /proc means.
constexpr NamespaceFile kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS},
};

std::string ns_path(const std::string& proc_dir, const char* name) {
  return proc_dir + "/ns/" + name;
}

}  // namespace

Result<int> namespaces_to_join(pid_t pid) {
  const std::string theirs = "/proc/" + std::to_string(pid);
  int flags = 0;
  for (const auto& ns : kNamespaces) {
    struct stat mine_st, their_st;
    if (stat(ns_path("/proc/self", ns.name).c_str(), &mine_st) != 0) continue;  // no such type
    if (stat(ns_path(theirs, ns.name).c_str(), &their_st) != 0) {
      return Error(errno == ENOENT ? ESRCH : errno, "container init");
    }
    if (mine_st.st_ino != their_st.st_ino || mine_st.st_dev != their_st.st_dev) flags |= ns.flag;
  }
  return flags;
}

Status join_namespaces(int pidfd, pid_t pid, int flags) {
  if (flags == 0) return {};
  if (setns(pidfd, flags) == 0) return {};
  if (errno != EINVAL) return Error::os("join the container's namespaces");
  // Opened first: once in the container's user namespace we may no longer open the
  // init's other namespace files.
  const std::string proc_dir = "/proc/" + std::to_string(pid);
  std::vector<std::pair<UniqueFd, const NamespaceFile*>> files;
  for (const auto& ns : kNamespaces) {
    if (!(flags & ns.flag)) continue;
    UniqueFd fd(open(ns_path(proc_dir, ns.name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
      return Error::os(std::string("open the container's ") + ns.name + " namespace");
    files.emplace_back(std::move(fd), &ns);
  }
  for (const auto& [fd, ns] : files) {
    if (setns(fd.get(), ns->flag) != 0) {
      return Error::os(std::string("join the container's ") + ns->name + " namespace");
    }
  }
  return {};
}

}  // namespace arca::process
