// Passing file descriptors over unix sockets (SCM_RIGHTS): the sync channel's fd messages
// and the seccomp listener hand-off use the same two calls.
#pragma once

#include <cstddef>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::linux_sys {

// One sendmsg of `data` on a unix socket with `fd` attached (-1: none). The receiver gets
// its own descriptor for the same open file. Returns the bytes sent: a stream socket may
// take fewer than all, and the fd travels with the first byte.
Result<size_t> send_with_fd(int sock, const void* data, size_t size, int fd);

// One recvmsg into buf. The first attached fd lands in *fd (close-on-exec); when fd is
// null, or more than one arrives, the others are closed. Returns the bytes received (0 means
// end-of-file).
Result<size_t> receive_with_fd(int sock, void* buf, size_t size, UniqueFd* fd);

}  // namespace arca::linux_sys
