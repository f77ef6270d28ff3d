// Loading a compiled program: the one step that runs in the container's init, right before
// execve, so it is a single system call on data prepared by the parent.
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "security/seccomp.h"

namespace arca::security {

Status load_seccomp(const SeccompProgram& p, int* notify_fd) {
  if (notify_fd != nullptr) *notify_fd = -1;
  // sock_fprog counts in an unsigned short; compile_seccomp keeps programs far below that.
  if (p.filter.empty() || p.filter.size() > USHRT_MAX) {
    return Error(EINVAL,
                 "seccomp: load filter of " + std::to_string(p.filter.size()) + " instructions");
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(p.filter.size());
  // The kernel copies the program and never writes through this pointer.
  prog.filter = const_cast<sock_filter*>(p.filter.data());
  unsigned int flags = p.flags;
  if (p.notify) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) return Error::os("seccomp(SECCOMP_SET_MODE_FILTER)");
  if (p.notify && notify_fd != nullptr) {
    *notify_fd = static_cast<int>(rc);
  } else if (p.notify) {
    // Nobody asked for the listener; keeping it open would only leak it into the child.
    ::close(static_cast<int>(rc));
  }
  return {};
}

}  // namespace arca::security
