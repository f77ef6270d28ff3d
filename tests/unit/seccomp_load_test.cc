// Compiled programs loaded for real, each in a forked child (a filter cannot be removed):
// the child sets no_new_privs like an unprivileged init would, loads, probes syscalls and
// reports through its exit code, 0 meaning every expectation held.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>

#include "security/seccomp.h"

namespace arca::security {
namespace {

using nlohmann::json;

SeccompProgram compiled(const json& config) {
  auto r = compile_seccomp(config, /*no_new_privileges=*/true);
  EXPECT_TRUE(r) << r.error().render();
  return r && *r ? **r : SeccompProgram{};
}

// Runs `probe` in a child after loading `p`; returns the child's exit status, or 100+ for
// a failure to load, or -1 when the child died by a signal.
int run_filtered(const SeccompProgram& p, const std::function<int(int notify_fd)>& probe) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(101);
    int notify_fd = -1;
    if (!load_seccomp(p, &notify_fd)) ::_exit(102);
    ::_exit(probe(notify_fd));
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -2;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// 0 when the raw syscall failed with `err`.
int fails_with(long rc, int err) { return rc == -1 && errno == err ? 0 : 1; }

TEST(SeccompLoad, ErrnoRuleChangesGetpid) {
  SeccompProgram p = compiled(json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]})"));
  EXPECT_EQ(run_filtered(p, [](int) { return fails_with(::syscall(SYS_getpid), 38); }), 0);
  // Everything else still works: getppid is not filtered.
  EXPECT_EQ(run_filtered(p, [](int) { return ::syscall(SYS_getppid) > 0 ? 0 : 1; }), 0);
}

TEST(SeccompLoad, ArgumentConditionSelectsTheCall) {
  SeccompProgram p = compiled(json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":13,
       "args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]}]})"));
  EXPECT_EQ(run_filtered(p,
                         [](int) {
                           // 0xffffffff only queries; 0 sets PER_LINUX, which it already is.
                           if (fails_with(::syscall(SYS_personality, 0xffffffffUL), 13)) return 1;
                           return ::syscall(SYS_personality, 0UL) >= 0 ? 0 : 2;
                         }),
            0);
}

TEST(SeccompLoad, NotifyReturnsAListener) {
  SeccompProgram p = compiled(json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW",
      "listenerPath":"/run/none.sock","flags":["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
      "syscalls":[{"names":["acct"],"action":"SCMP_ACT_NOTIFY"}]})"));
  EXPECT_EQ(run_filtered(p,
                         [](int fd) {
                           if (fd < 0) return 1;
                           // The kernel opens the listener close-on-exec.
                           return ::fcntl(fd, F_GETFD) == FD_CLOEXEC ? 0 : 2;
                         }),
            0);
}

// Shaped like Docker's default profile: deny by default, a long allow list that names
// syscalls this libseccomp or this architecture may not know, and argument rules.
json docker_like_profile() {
  json allow = {"accept",
                "accept4",
                "access",
                "arch_prctl",
                "bind",
                "brk",
                "cachestat",
                "capget",
                "capset",
                "chdir",
                "chmod",
                "chown",
                "clock_gettime",
                "close",
                "close_range",
                "connect",
                "dup",
                "dup2",
                "dup3",
                "epoll_create1",
                "epoll_ctl",
                "epoll_pwait",
                "epoll_pwait2",
                "eventfd2",
                "execve",
                "execveat",
                "exit",
                "exit_group",
                "faccessat",
                "faccessat2",
                "fchmodat2",
                "fcntl",
                "fstat",
                "futex",
                "futex_waitv",
                "getcwd",
                "getdents64",
                "getegid",
                "geteuid",
                "getgid",
                "getpid",
                "getppid",
                "getrandom",
                "gettid",
                "getuid",
                "ioctl",
                "lseek",
                "map_shadow_stack",
                "memfd_create",
                "mmap",
                "mprotect",
                "munmap",
                "newfstatat",
                "openat",
                "openat2",
                "pipe2",
                "poll",
                "prctl",
                "pread64",
                "read",
                "readlink",
                "rseq",
                "rt_sigaction",
                "rt_sigprocmask",
                "rt_sigreturn",
                "sched_yield",
                "set_robust_list",
                "set_tid_address",
                "socket",
                "statx",
                "uname",
                "wait4",
                "write",
                "writev",
                "arm_fadvise64_64",
                "not_a_syscall_anywhere"};
  json syscalls = json::array();
  syscalls.push_back({{"names", allow}, {"action", "SCMP_ACT_ALLOW"}});
  syscalls.push_back({{"names", {"personality"}},
                      {"action", "SCMP_ACT_ALLOW"},
                      {"args",
                       {{{"index", 0u}, {"value", 0u}, {"op", "SCMP_CMP_EQ"}},
                        {{"index", 0u}, {"value", 8u}, {"op", "SCMP_CMP_EQ"}},
                        {{"index", 0u}, {"value", 4294967295u}, {"op", "SCMP_CMP_EQ"}}}}});
  syscalls.push_back(
      {{"names", {"clone"}},
       {"action", "SCMP_ACT_ALLOW"},
       {"args", {{{"index", 0u}, {"value", 2114060288u}, {"op", "SCMP_CMP_MASKED_EQ"}}}}});
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", 1u},
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
          {"syscalls", syscalls}};
}

TEST(SeccompLoad, DockerLikeProfileCompilesAndDenies) {
  SeccompProgram p = compiled(docker_like_profile());
  ASSERT_FALSE(p.filter.empty());
  EXPECT_EQ(run_filtered(p,
                         [](int) {
                           if (::syscall(SYS_getpid) <= 0) return 1;
                           if (fails_with(::syscall(SYS_acct, nullptr), EPERM)) return 2;
                           if (::syscall(SYS_personality, 8UL) < 0) return 3;
                           return fails_with(::syscall(SYS_personality, 1UL), EPERM) ? 4 : 0;
                         }),
            0);
}

}  // namespace
}  // namespace arca::security
