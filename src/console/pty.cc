#include "console/pty.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "rootfs/resolve.h"
#include "rootfs/rootfs.h"

namespace arca::console {

namespace {

// runc gives the terminal's user the slave but keeps the group devpts chose (gid=5 with
// the default mount options). EINVAL/EPERM mean the owner or the user is not mapped in
// the user namespace: the terminal then stays as it is, as with runc.
Status give_to(int slave, uid_t owner) {
  struct stat st;
  if (fstat(slave, &st) != 0) return Error::os("stat pty slave");
  if (st.st_uid == owner) return {};
  if (fchown(slave, owner, static_cast<gid_t>(-1)) != 0 && errno != EINVAL && errno != EPERM) {
    return Error::os("chown pty slave to uid " + std::to_string(owner));
  }
  return {};
}

// With a closed stdio, the pty may have landed on 0-2, which make_stdio overwrites.
Status move_above_stdio(UniqueFd& fd) {
  if (fd.get() > 2) return {};
  int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return Error::os("move pty fd");
  fd.reset(moved);
  return {};
}

Status make_stdio(int slave) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (dup2(slave, fd) < 0) return Error::os("dup pty slave to fd " + std::to_string(fd));
  }
  // The caller is a session leader without a terminal, so this one becomes it: job
  // control in a shell needs it, and ^C on the master reaches the foreground group.
  if (ioctl(0, TIOCSCTTY, 0) != 0) return Error::os("make the pty the controlling terminal");
  return {};
}

}  // namespace

Result<Pty> open_pty(int root) {
  Pty pty;
  ARCA_ASSIGN(pty.master, rootfs::open_in_root(root, "/dev/ptmx", O_RDWR | O_NOCTTY));
  int unlock = 0;
  if (ioctl(pty.master.get(), TIOCSPTLCK, &unlock) != 0) {
    return Error::os("\"/dev/ptmx\" is not a pty multiplexer: unlock");
  }
  int slave = ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return Error::os("open pty slave");
  pty.slave.reset(slave);
  return pty;
}

Status set_window_size(int fd, WindowSize size) {
  if (size.rows == 0 && size.cols == 0) return {};
  winsize ws = {};
  ws.ws_row = size.rows;
  ws.ws_col = size.cols;
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) return Error::os("set window size");
  return {};
}

Result<WindowSize> window_size(int fd) {
  winsize ws = {};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return Error::os("get window size");
  return WindowSize{ws.ws_row, ws.ws_col};
}

Result<UniqueFd> setup_terminal(const TerminalSetup& setup) {
  // setsid fails for a process group leader, which a session leader always is.
  if (getsid(0) != getpid() && setsid() < 0) return Error::os("setsid");
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Error::os("open \"/\"");
  ARCA_ASSIGN(Pty pty, open_pty(root.get()));
  ARCA_TRY(move_above_stdio(pty.master));
  ARCA_TRY(move_above_stdio(pty.slave));
  ARCA_TRY(set_window_size(pty.master.get(), setup.size));
  if (setup.mount_console) ARCA_TRY(rootfs::bind_file(root.get(), pty.slave.get(), "/dev/console"));
  ARCA_TRY(give_to(pty.slave.get(), setup.owner));
  ARCA_TRY(make_stdio(pty.slave.get()));
  return std::move(pty.master);
}

}  // namespace arca::console
