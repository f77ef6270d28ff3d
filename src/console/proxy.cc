#include "console/proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "base/clock.h"
#include "base/unique_fd.h"
#include "console/pty.h"
#include "console/raw_mode.h"

namespace arca::console {

namespace {

constexpr size_t kChunk = 16384;

// The relay's state: what is still open and what stdin gave that the master has not
// taken yet (the master is non-blocking; stdin is read only when this is empty, so a
// container that stops reading slows the typist, never arca).
struct Relay {
  int master = -1;
  bool stdin_open = true;
  bool eof_pending = false;  // stdin ended and the process still runs: EOF to deliver
  bool eof_checked = false;  // the container had read everything at the last look
  int eof_sent = 0;          // EOF characters sent so far
  int64_t eof_sent_ms = 0;   // when the last one went (CLOCK_MONOTONIC)
  bool master_open = true;
  bool stdout_open = true;
  std::string to_master;
};

// Blocking write of everything to stdout (it may be non-blocking: wait for room).
// A reader that went away (EPIPE) turns the rest of the output into nothing.
void write_stdout(Relay& r, const char* data, size_t size) {
  while (r.stdout_open && size > 0) {
    ssize_t n = write(STDOUT_FILENO, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{STDOUT_FILENO, POLLOUT, 0};
      poll(&p, 1, -1);
    } else if (n < 0 && errno != EINTR) {
      r.stdout_open = false;
    }
  }
}

// Everything the master has now. EIO: no slave is open any more (the container's
// processes are gone), which is the master's end-of-file.
void pump_output(Relay& r) {
  char buf[kChunk];
  while (r.master_open) {
    ssize_t n = read(r.master, buf, sizeof buf);
    if (n > 0) {
      write_stdout(r, buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    r.master_open = false;
    r.to_master.clear();
  }
}

void pump_input(Relay& r) {
  char buf[kChunk];
  ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  if (n > 0) {
    r.to_master.append(buf, static_cast<size_t>(n));
    return;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  // End-of-file, or EIO for a background job's read of its terminal.
  r.stdin_open = false;
  r.eof_pending = r.master_open && !isatty(STDIN_FILENO);
}

// Bytes of terminal input the container has not read yet. The master cannot tell; a
// slave fd opened for the question can (TIOCINQ). -1 when unknown.
int unread_input(int master) {
  UniqueFd slave(ioctl(master, TIOCGPTPEER, O_RDONLY | O_NOCTTY | O_CLOEXEC));
  int n = 0;
  if (!slave.valid() || ioctl(slave.get(), TIOCINQ, &n) != 0) return -1;
  return n;
}

// Called on every pass while the EOF is pending (the loop then polls with a timeout).
// The EOF goes only after the container has read the input before it: in the line
// discipline of a canonical-mode pty it would otherwise turn into an empty line that a
// program switching to raw mode (a shell's line editor) never sees as end-of-file.
constexpr int kEofResendMs = 200;

void send_eof_when_read(Relay& r) {
  if (!r.eof_pending || !r.to_master.empty()) return;
  if (r.eof_sent > 0 && now_ms() - r.eof_sent_ms < kEofResendMs) return;
  if (!r.master_open) {
    r.eof_pending = false;
    return;
  }
  int unread = unread_input(r.master);
  if (unread > 0) {
    r.eof_checked = false;
    return;
  }
  // Nothing unread: ask once more a poll interval later, so that input still on its way
  // through the kernel's tty buffer (pushed to the line discipline asynchronously) is
  // counted too.
  if (unread == 0 && !r.eof_checked) {
    r.eof_checked = true;
    return;
  }
  // Sent again while the process lives and has read everything: an EOF that reached the
  // line discipline in canonical mode, just before the program switched to raw mode (a
  // shell about to show its prompt), arrives as a NUL byte that its line editor drops.
  termios mode;
  r.to_master += eof_char(tcgetattr(r.master, &mode) == 0 ? mode : termios{});
  ++r.eof_sent;
  r.eof_sent_ms = now_ms();
  r.eof_checked = false;
}

// How long poll may sleep: while an EOF waits for the container to read its input, look
// again every 20 ms; once sent, check every 100 ms whether to send it again.
int poll_timeout(const Relay& r) {
  if (!r.eof_pending) return -1;
  return r.eof_sent == 0 ? 20 : kEofResendMs / 2;
}

void flush_input(Relay& r) {
  while (!r.to_master.empty()) {
    ssize_t n = write(r.master, r.to_master.data(), r.to_master.size());
    if (n > 0) {
      r.to_master.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else if (n < 0 && errno != EINTR) {
      r.to_master.clear();  // the slave side is gone
    }
  }
}

// The terminal arca's window size comes from: stdin's, else stdout's.
int host_terminal() {
  if (isatty(STDIN_FILENO)) return STDIN_FILENO;
  if (isatty(STDOUT_FILENO)) return STDOUT_FILENO;
  return -1;
}

void copy_window_size(int master) {
  int host = host_terminal();
  if (host < 0) return;  // the container keeps process.consoleSize
  if (auto size = window_size(host)) (void)set_window_size(master, *size);
}

// Reads every pending signal: forwards, resizes, or (SIGCHLD) just wakes the loop.
void handle_signals(int sigfd, int master, pid_t pid) {
  signalfd_siginfo info;
  while (read(sigfd, &info, sizeof info) == sizeof info) {
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD) continue;
    if (sig == SIGWINCH) {
      copy_window_size(master);
      continue;
    }
    kill(pid, sig);
  }
}

int shell_status(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

char eof_char(const termios& slave_mode) {
  cc_t c = slave_mode.c_cc[VEOF];
  return c == _POSIX_VDISABLE ? '\x04' : static_cast<char>(c);
}

Result<int> proxy_until_exit(int master, pid_t pid, const sigset_t& forwarded) {
  sigset_t mask = forwarded;
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGWINCH);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return Error::os("sigprocmask");
  UniqueFd sigfd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd.valid()) return Error::os("signalfd");
  int flags = fcntl(master, F_GETFL);
  if (flags < 0 || fcntl(master, F_SETFL, flags | O_NONBLOCK) != 0) {
    return Error::os("pty master: set non-blocking");
  }
  RawMode raw(STDIN_FILENO);
  copy_window_size(master);
  Relay r;
  r.master = master;
  r.stdin_open = fcntl(STDIN_FILENO, F_GETFD) >= 0;
  for (;;) {
    int status;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      pump_output(r);  // what it wrote before it exited
      return shell_status(status);
    }
    if (done < 0 && errno != EINTR) return Error::os("wait for the container process");
    auto master_events = static_cast<short>(r.to_master.empty() ? POLLIN : POLLIN | POLLOUT);
    pollfd fds[3] = {{sigfd.get(), POLLIN, 0}, {-1, 0, 0}, {-1, 0, 0}};
    if (r.master_open) fds[1] = {master, master_events, 0};
    if (r.stdin_open && r.to_master.empty()) fds[2] = {STDIN_FILENO, POLLIN, 0};
    if (poll(fds, 3, poll_timeout(r)) < 0 && errno != EINTR) return Error::os("poll");
    if (fds[0].revents) handle_signals(sigfd.get(), master, pid);
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) pump_output(r);
    if (fds[1].revents & POLLOUT) flush_input(r);
    if (fds[2].revents) pump_input(r);
    send_eof_when_read(r);
    flush_input(r);
  }
}

}  // namespace arca::console
