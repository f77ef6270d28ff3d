// Helpers for the rootfs tests: temp directories and a forked child in a private mount
// namespace, so nothing a test mounts can reach the host or the other tests.
#pragma once

#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>

namespace arca::rootfs::testing {

class TempDir {
 public:
  explicit TempDir(const char* tag = "arca-rootfs") {
    std::string tmpl = std::string("/tmp/") + tag + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  // Only ever called in the test process, whose mount namespace the children's mounts
  // never reach, so this cannot descend into a mount.
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline bool is_empty_dir(const std::string& path) { return std::filesystem::is_empty(path); }

// Confines the child: a tmpfs root holding binds of /proc, /sys, /dev (read-only, and
// nosuid so that a user namespace sees locked flags) and /tmp (where the test
// directories live). Should the code under test ever resolve a container path against
// the real root again, what it creates lands in this throwaway tmpfs instead of on the
// machine running the tests. The chroot comes separately (a chrooted process cannot
// create a user namespace).
inline std::string build_sandbox(const std::string& dir) {
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "mode=755") < 0) return "sandbox tmpfs failed";
  const std::pair<const char*, unsigned long> binds[] = {
      {"/proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC},
      {"/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC},
      {"/dev", MS_RDONLY | MS_NOSUID},
      {"/tmp", 0}};
  for (auto [sub, flags] : binds) {
    std::string to = dir + sub;
    if (mkdir(to.c_str(), 0755) < 0) return "sandbox mkdir failed";
    if (mount(sub, to.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) return "sandbox bind";
    if (flags && mount(nullptr, to.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr) < 0) {
      return "sandbox remount failed";
    }
  }
  return "";
}

inline std::string enter_sandbox(const std::string& dir) {
  if (chroot(dir.c_str()) < 0 || chdir("/") < 0) return "sandbox chroot failed";
  return "";
}

// Maps root to root in a fresh user namespace (before the chroot, which forbids it).
inline std::string enter_user_ns() {
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) return "unshare user ns failed";
  write_file("/proc/self/setgroups", "deny");
  write_file("/proc/self/uid_map", "0 0 1");
  write_file("/proc/self/gid_map", "0 0 1");
  return "";
}

// Runs fn in a forked child after unshare(CLONE_NEWNS), making "/" rprivate and entering
// the sandbox above (optionally inside a new user namespace). fn returns "" for success
// or what went wrong; the result comes back over a pipe.
inline std::string run_isolated(const std::function<std::string()>& fn, bool user_ns = false) {
  TempDir sandbox("arca-sandbox");
  int fds[2];
  if (sandbox.path().empty() || pipe(fds) < 0) return "setup failed";
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(fds[0]);
    std::string msg;
    if (unshare(CLONE_NEWNS) < 0) {
      msg = "unshare(CLONE_NEWNS) failed";
    } else if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
      msg = "make / rprivate failed";
    } else if (msg = build_sandbox(sandbox.path()); !msg.empty()) {
    } else if (msg = user_ns ? enter_user_ns() : ""; msg.empty()) {
      msg = enter_sandbox(sandbox.path());
      if (msg.empty()) msg = fn();
    }
    if (write(fds[1], msg.data(), msg.size()) < 0) _exit(3);
    _exit(msg.empty() ? 0 : 1);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "child killed by signal " + std::to_string(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0 && out.empty()) return "child exited with failure";
  return out;
}

}  // namespace arca::rootfs::testing

#define ROOTFS_REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root"
