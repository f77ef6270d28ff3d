// Thin wrappers over the syscalls glibc 2.36 does not wrap, and small file helpers.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::linux_sys {

// clone3 without a new stack: behaves like fork() with namespace flags. Returns 0 in the
// child, the child's pid in the parent. `pidfd` (optional) receives a pidfd of the child.
Result<pid_t> clone3_fork(uint64_t flags, int* pidfd = nullptr, int cgroup_fd = -1);
Result<UniqueFd> pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);
// Blocks until the process behind the pidfd has exited (it need not be our child).
Status wait_pidfd_exit(int pidfd);
// Every signal's disposition back to SIG_DFL and the mask to `mask`: what a process
// arca forks must have before it runs someone else's code (execve keeps SIG_IGN, and a
// caller that ignores SIGPIPE would pass that on).
Status reset_signals(const sigset_t& mask);

// setns on the namespace file at `path`; `nstype` is the CLONE_NEW* flag (0: any).
Status setns_path(const std::string& path, int nstype, const std::string& type_name);

// Writes all of `data` to an already-existing file (procfs, sysfs): open O_WRONLY.
Status write_existing(const std::string& path, const std::string& data);
Status write_existing_at(int dirfd, const std::string& path, const std::string& data);
// Reads a whole (small) file.
Result<std::string> read_file(const std::string& path);

// argv or envp for execve: pointers into `strings` (which must outlive the result),
// null-terminated.
std::vector<char*> exec_array(const std::vector<std::string>& strings);

}  // namespace arca::linux_sys
