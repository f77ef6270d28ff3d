#include "hooks/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <ctime>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "linux/syscalls.h"

extern char** environ;

namespace arca::hooks {

namespace {

// How much of a failed hook's output its error keeps (the end, where the reason is).
constexpr size_t kOutputKept = 512;

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::os("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Status set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return Error::os("fcntl");
  return {};
}

// A hook that exits without reading all of stdin makes our write fail with EPIPE; the
// SIGPIPE that comes with it must not kill arca. Setting SIG_IGN also discards a SIGPIPE
// left pending because the caller blocks it (`run` blocks the signals it forwards).
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { sigaction(SIGPIPE, &ignore(), &old_); }
  ~IgnoreSigpipe() {
    sigaction(SIGPIPE, &ignore(), nullptr);
    sigaction(SIGPIPE, &old_, nullptr);
  }

 private:
  static const struct sigaction& ignore() {
    static struct sigaction sa = [] {
      struct sigaction s;
      memset(&s, 0, sizeof s);
      s.sa_handler = SIG_IGN;
      return s;
    }();
    return sa;
  }
  struct sigaction old_;
};

// In the forked child: stdin from `in`, stdout and stderr to `out`, nothing else open
// after exec, signals as a fresh process has them. On failure, errno goes to `report`.
[[noreturn]] void exec_hook(const char* path, char** argv, char** envp, int in, int out,
                            int report) {
  sigset_t none;
  sigemptyset(&none);
  (void)linux_sys::reset_signals(none);
  // Above stdio first, so that dup2 onto 0-2 cannot clobber a pipe end sitting there.
  in = fcntl(in, F_DUPFD_CLOEXEC, 3);
  out = fcntl(out, F_DUPFD_CLOEXEC, 3);
  int err = 0;
  if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
    err = errno;
  } else if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    // The sync socket, the state dir's lock, the log: no arca fd reaches the hook.
    err = errno;
  } else {
    execve(path, argv, envp);
    err = errno;
  }
  ssize_t ignored = write(report, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

// fork() with a pidfd; plain fork + pidfd_open where clone3 is refused (a seccomp profile
// in the container, for startContainer hooks, may make clone3 fail with ENOSYS).
Result<pid_t> fork_with_pidfd(UniqueFd& pidfd) {
  int fd = -1;
  auto pid = linux_sys::clone3_fork(0, &fd);
  if (pid) {
    if (*pid > 0) pidfd.reset(fd);
    return pid;
  }
  pid_t child = fork();
  if (child < 0) return Error::os("fork");
  if (child == 0) return 0;
  auto opened = linux_sys::pidfd_open(child);
  if (!opened) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return std::move(opened).error();
  }
  pidfd = std::move(opened).value();
  return child;
}

void keep_tail(std::string& kept, const char* data, size_t n) {
  kept.append(data, n);
  if (kept.size() > kOutputKept) kept.erase(0, kept.size() - kOutputKept);
}

// Reads what is there without blocking: a background process the hook started may hold
// the pipe open long after the hook itself exited.
void drain(int fd, std::string& kept) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    keep_tail(kept, buf, static_cast<size_t>(n));
  }
}

struct Child {
  pid_t pid = 0;
  UniqueFd pidfd;
  UniqueFd stdin_write;  // non-blocking
  UniqueFd output_read;  // non-blocking
};

// Feeds `input`, collects output, waits for the exit or the deadline (-1: none).
// Returns false when the deadline passed first.
bool feed_and_wait(Child& c, const std::string& input, int64_t deadline, std::string& output) {
  size_t written = 0;
  if (input.empty()) c.stdin_write.reset();
  for (;;) {
    pollfd fds[3] = {{c.pidfd.get(), POLLIN, 0},
                     {c.output_read.get(), POLLIN, 0},
                     {c.stdin_write.get(), POLLOUT, 0}};  // fd -1: ignored by poll
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ms();
      if (left <= 0) return false;
      wait = static_cast<int>(left);
    }
    int n = poll(fds, 3, wait);
    if (n < 0 && errno != EINTR) return true;  // cannot happen with valid fds; do not spin
    if (n <= 0) continue;
    if (fds[1].revents != 0) {
      drain(c.output_read.get(), output);
      if (fds[1].revents & (POLLHUP | POLLERR)) c.output_read.reset();
    }
    if (fds[2].revents != 0) {
      ssize_t w = write(c.stdin_write.get(), input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // Done, or the hook closed its stdin (EPIPE): it gets EOF either way.
      if (written == input.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) {
        c.stdin_write.reset();
      }
    }
    if (fds[0].revents != 0) return true;
  }
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

std::string with_output(std::string reason, std::string output) {
  while (!output.empty() && isspace(static_cast<unsigned char>(output.back()))) output.pop_back();
  if (!output.empty()) reason += ", output: " + quote(output);
  return reason;
}

Status run_phase_impl(const spec::Hooks& hooks, Phase phase, const state::Record& record,
                      const std::vector<std::string>* fallback_env, bool warn_only) {
  const auto& list = select(hooks, phase);
  if (list.empty()) return {};
  std::string input = state_json(record, phase);
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto ran = run_hook(list[i], input, fallback_env);
    if (ran) continue;
    Error error = std::move(ran).error().context(std::string(name(phase)) + " hook " +
                                                 std::to_string(i) + " " + quote(list[i].path));
    if (!warn_only) return error;
    log::warn(error.render());
  }
  return {};
}

}  // namespace

Status run_hook(const spec::Hook& hook, const std::string& input,
                const std::vector<std::string>* fallback_env) {
  std::vector<std::string> args = hook.args.empty() ? std::vector{hook.path} : hook.args;
  std::vector<char*> argv = linux_sys::exec_array(args);
  const std::vector<std::string>* env_source = hook.env.empty() ? fallback_env : &hook.env;
  std::vector<char*> env =
      env_source != nullptr ? linux_sys::exec_array(*env_source) : std::vector<char*>{};
  char** envp = env_source != nullptr ? env.data() : environ;
  ARCA_ASSIGN(Pipe in, make_pipe());
  ARCA_ASSIGN(Pipe out, make_pipe());
  ARCA_ASSIGN(Pipe report, make_pipe());
  IgnoreSigpipe ignore_sigpipe;
  Child c;
  ARCA_ASSIGN(c.pid, fork_with_pidfd(c.pidfd));
  if (c.pid == 0) {
    exec_hook(hook.path.c_str(), argv.data(), envp, in.read.get(), out.write.get(),
              report.write.get());
  }
  in.read.reset();
  out.write.reset();
  report.write.reset();
  // Blocks until the exec (the pipe closes on exec) or its failure (errno arrives).
  int err = 0;
  ssize_t n;
  do {
    n = read(report.read.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof err) {
    waitpid(c.pid, nullptr, 0);
    return Error(err, "exec");
  }
  c.stdin_write = std::move(in.write);
  c.output_read = std::move(out.read);
  if (auto s = set_nonblocking(c.stdin_write.get());
      !s || !(s = set_nonblocking(c.output_read.get()))) {
    // The hook runs already: it must not outlive the error.
    linux_sys::pidfd_send_signal(c.pidfd.get(), SIGKILL);
    while (waitpid(c.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return std::move(s).error();
  }
  int64_t deadline = hook.timeout ? now_ms() + int64_t{*hook.timeout} * 1000 : -1;
  std::string output;
  bool exited = feed_and_wait(c, input, deadline, output);
  if (!exited) linux_sys::pidfd_send_signal(c.pidfd.get(), SIGKILL);
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (c.output_read.valid()) drain(c.output_read.get(), output);
  if (!exited) {
    return Error::invalid(
        with_output("timed out after " + std::to_string(*hook.timeout) + "s", output));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return Error::invalid(with_output(describe(status), output));
}

Status run_phase(const spec::Hooks& hooks, Phase phase, const state::Record& record,
                 const std::vector<std::string>* fallback_env) {
  return run_phase_impl(hooks, phase, record, fallback_env, false);
}

void run_phase_warning(const spec::Hooks& hooks, Phase phase, const state::Record& record) {
  (void)run_phase_impl(hooks, phase, record, nullptr, true);
}

}  // namespace arca::hooks
