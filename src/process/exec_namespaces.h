// The namespaces an exec'd process joins: every namespace of the container's init that is
// not already the caller's.
#pragma once

#include <sys/types.h>

#include "base/error.h"

namespace arca::process {

// The CLONE_NEW* flags of every namespace of `pid` that differs from the caller's
// (namespace types this kernel lacks are skipped). ESRCH when the process is gone.
Result<int> namespaces_to_join(pid_t pid);

// Joins the namespaces in `flags` of the process behind `pidfd` (pid `pid`): one setns on
// the pidfd, which the kernel applies user namespace first and all or nothing; kernels
// before 5.8 (EINVAL) get one setns per /proc/PID/ns file, user first and mount last.
Status join_namespaces(int pidfd, pid_t pid, int flags);

}  // namespace arca::process
