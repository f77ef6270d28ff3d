// Unix stream sockets: connecting to a path, and passing file descriptors (SCM_RIGHTS),
// one fd per message.
//
// Used by the sync channel (the init hands arca its pty master; the seccomp listener fd
// travels the same way) and by the --console-socket protocol, which is runc's: one
// message whose data is a name and whose control part carries exactly one fd.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::linux_sys {

// A close-on-exec SOCK_STREAM connection to the unix socket at `path` (EINTR retried).
// Errors say which step failed ("socket", "connect", ENAMETOOLONG for a path that does not
// fit sockaddr_un); the caller names the socket as context.
Result<UniqueFd> connect_unix(const std::string& path);

// Sends one message: `data` (must not be empty: a stream socket drops control data sent
// without any) with `fd` attached. SIGPIPE is suppressed: a closed peer is EPIPE.
Status send_fd(int socket, std::string_view data, int fd);

// Receives one message of at most `size` bytes into `buf` and returns its length (0 at
// end-of-file). An fd that came with it is stored in *fd, close-on-exec (left invalid
// when none came); with fd == nullptr it is closed. Truncated control data (more fds
// than one) is an error, and whatever fds did arrive are closed.
Result<size_t> receive_fd(int socket, char* buf, size_t size, UniqueFd* fd);

}  // namespace arca::linux_sys
