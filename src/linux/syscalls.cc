#include "linux/syscalls.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace arca::linux_sys {

Result<pid_t> clone3_fork(uint64_t flags, int* pidfd, int cgroup_fd) {
  clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  // With CLONE_PARENT the kernel takes the exit signal from the caller and refuses
  // one given here (EINVAL).
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
  if (pidfd != nullptr) {
    args.flags |= CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  }
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return Error::os("clone3");
  return static_cast<pid_t>(pid);
}

Result<UniqueFd> pidfd_open(pid_t pid) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Error::os("pidfd_open " + std::to_string(pid));
  return UniqueFd(static_cast<int>(fd));
}

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

Status wait_pidfd_exit(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  while (poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return Error::os("poll pidfd");
  }
  return {};
}

Status setns_path(const std::string& path, int nstype, const std::string& type_name) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + type_name + " namespace " + quote(path));
  if (setns(fd.get(), nstype) != 0) {
    return Error::os("join " + type_name + " namespace " + quote(path));
  }
  return {};
}

Status write_existing_at(int dirfd, const std::string& path, const std::string& data) {
  UniqueFd fd(openat(dirfd, path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return Error::os("open " + quote(path));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::os("write " + quote(path));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Status write_existing(const std::string& path, const std::string& data) {
  return write_existing_at(AT_FDCWD, path, data);
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error::os("open " + quote(path));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::os("read " + quote(path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<char*> exec_array(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Status reset_signals(const sigset_t& original_mask) {
  // The container must not inherit arca's handlers or ignored signals (a caller that
  // ignores SIGPIPE would otherwise pass that on); execve keeps SIG_IGN.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // EINVAL for the reserved RT signals is expected
  }
  if (sigprocmask(SIG_SETMASK, &original_mask, nullptr) != 0) return Error::os("sigprocmask");
  return {};
}

}  // namespace arca::linux_sys
