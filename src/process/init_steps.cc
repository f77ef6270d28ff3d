#include "process/init_steps.h"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "console/pty.h"
#include "linux/syscalls.h"
#include "security/confinement.h"
#include "security/procfs.h"

namespace arca::process::steps {

Status wait_for_id_maps(const SyncChannel& channel) {
  ARCA_TRY(channel.send({MsgType::kMapsRequest, 0, 0, {}}));
  ARCA_ASSIGN(Message reply, channel.receive());
  if (reply.type != MsgType::kMapsDone) {
    return Error::invalid(std::string("sync: expected maps-done, got ") + to_string(reply.type));
  }
  return {};
}

Status become_root_in_userns() {
  if (setresgid(0, 0, 0) != 0) return Error::os("setgid 0 in the user namespace");
  if (setresuid(0, 0, 0) != 0) return Error::os("setuid 0 in the user namespace");
  return {};
}

Status join_namespaces(const plan::Launch& launch, bool user) {
  for (const auto& join : launch.joins) {
    if ((join.clone_flag == CLONE_NEWUSER) != user) continue;
    ARCA_TRY(linux_sys::setns_path(join.path, join.clone_flag, join.type));
  }
  return {};
}

Status join_session_keyring() {
  // A fresh anonymous session keyring, so the container cannot read the caller's keys.
  // Kernels or seccomp policies without keyrings answer ENOSYS: nothing to protect then.
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) {
    return Error::os("join a new session keyring");
  }
  return {};
}

Status set_identity(const plan::Launch& launch) {
  if (launch.hostname && sethostname(launch.hostname->data(), launch.hostname->size()) != 0) {
    return Error::os("sethostname " + quote(*launch.hostname));
  }
  if (launch.domainname &&
      setdomainname(launch.domainname->data(), launch.domainname->size()) != 0) {
    return Error::os("setdomainname " + quote(*launch.domainname));
  }
  return {};
}

Status bring_up_loopback(const plan::Launch& launch) {
  if (!(launch.clone_flags & CLONE_NEWNET)) return {};
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Error::os("loopback: socket");
  ifreq req;
  memset(&req, 0, sizeof req);
  strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) return Error::os("loopback: get flags");
  req.ifr_flags |= IFF_UP;
  if (ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0) return Error::os("loopback: bring up");
  return {};
}

Status apply_sysctls(const plan::Launch& launch) {
  if (launch.sysctls.empty()) return {};
  // Only through a verified procfs, never via a symlink or an overmount (security/procfs.h).
  auto proc = security::open_procfs_root();
  if (!proc) return std::move(proc).error().context("sysctl");
  for (const auto& s : launch.sysctls) {
    auto written = security::write_proc_file(proc->get(), s.path.substr(strlen("/proc/")), s.value);
    if (!written) {
      return std::move(written).error().context("sysctl " + quote(s.key) + " = " + quote(s.value));
    }
  }
  return {};
}

Status load_seccomp_filter(const security::SeccompProgram* program, const SyncChannel& channel) {
  if (program == nullptr) return {};
  int listener = -1;
  ARCA_TRY(security::load_seccomp(*program, &listener));
  if (listener < 0) return {};
  UniqueFd fd(listener);
  return channel.send({MsgType::kSeccompFd, 0, 0, {}}, fd.get());
}

Status apply_rlimits(const plan::Launch& launch) {
  for (const auto& r : launch.rlimits) {
    rlimit lim{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (setrlimit(static_cast<__rlimit_resource>(r.resource), &lim) != 0) {
      return Error::os("setrlimit " + r.name);
    }
  }
  return {};
}

Status apply_personality(const plan::Launch& launch) {
  if (launch.personality && personality(*launch.personality) < 0) {
    return Error::os("personality");
  }
  return {};
}

Status set_no_new_privileges(const plan::Launch& launch) {
  if (launch.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error::os("prctl no_new_privs");
  }
  return {};
}

Status change_dir(const plan::Launch& launch, bool final_attempt) {
  if (launch.cwd.empty()) return {};
  // A missing cwd is created (inside the root only), as runc does: images rely on it.
  auto entered = security::enter_directory(launch.cwd, !final_attempt);
  if (entered) return {};
  // Some directories are reachable only by the configured user (root squashing on
  // network filesystems): try again after the switch.
  int err = entered.error().code();
  if (!final_attempt && (err == EACCES || err == EPERM)) return {};
  return std::move(entered).error().context("chdir to cwd " + quote(launch.cwd));
}

Status apply_umask(const plan::Launch& launch) {
  umask(launch.umask ? *launch.umask : 022);
  return {};
}

Status setup_terminal(const plan::Launch& launch, const SyncChannel& channel, bool mount_console) {
  if (!launch.terminal) return {};
  console::TerminalSetup setup;
  setup.size = {launch.console_rows, launch.console_cols};
  setup.mount_console = mount_console;
  setup.owner = launch.uid;
  auto master = console::setup_terminal(setup);
  if (!master) return std::move(master).error().context("terminal");
  return channel.send({MsgType::kTerminal, 0, 0, {}}, master->get());
}

namespace {
std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env) {
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
      return kv.substr(key.size() + 1);
    }
  }
  return {};
}

Status check_executable(const std::string& path, const std::string& shown) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Error::os("exec " + quote(shown));
  if (S_ISDIR(st.st_mode)) return Error(EISDIR, "exec " + quote(shown));
  if (access(path.c_str(), X_OK) != 0) return Error::os("exec " + quote(shown));
  return {};
}
}  // namespace

void add_default_home(std::vector<std::string>& env, uid_t uid) {
  for (const auto& kv : env) {
    if (kv.compare(0, 5, "HOME=") == 0) return;
  }
  std::string home = "/";
  if (auto passwd = linux_sys::read_file("/etc/passwd")) {
    size_t start = 0;
    const std::string& text = *passwd;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      // name:password:uid:gid:gecos:home:shell
      std::vector<std::string> fields;
      size_t f = start;
      for (size_t i = start; i <= end; ++i) {
        if (i == end || text[i] == ':') {
          fields.push_back(text.substr(f, i - f));
          f = i + 1;
        }
      }
      if (fields.size() >= 6 && fields[2] == std::to_string(uid) && !fields[5].empty()) {
        home = fields[5];
        break;
      }
      start = end + 1;
    }
  }
  env.push_back("HOME=" + home);
}

Result<std::string> find_executable(const plan::Launch& launch) {
  const std::string& name = launch.args.at(0);
  if (name.find('/') != std::string::npos) {
    ARCA_TRY(check_executable(name, name));
    return name;
  }
  std::string path = env_value(launch.env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (check_executable(candidate, name)) return candidate;
    start = end + 1;
  }
  return Error::invalid("exec " + quote(name) + ": executable file not found in $PATH");
}

Status close_fds_on_exec(int preserve_fds, int* keep_a, int* keep_b) {
  int floor = 3 + preserve_fds;
  for (int* fd : {keep_a, keep_b}) {
    if (*fd < 0 || *fd >= floor) continue;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, floor);
    if (moved < 0) return Error::os("move sync fd");
    close(*fd);
    *fd = moved;
  }
  // Everything arca itself opened is O_CLOEXEC already; this catches fds inherited from
  // arca's caller (CVE-2024-21626 class: no host fd may survive into the container).
  if (syscall(SYS_close_range, floor, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    return Error::os("close_range");
  }
  // Below the preserved limit an fd stays only if the caller handed it over: arca opens
  // everything close-on-exec and nothing close-on-exec survived the exec into arca, so a
  // close-on-exec fd there is arca's own (the caller passed fewer fds than it said) and
  // must not reach the container. It is closed now, as exec's checklist does.
  for (int fd = 3; fd < floor; ++fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC)) close(fd);
  }
  return {};
}

Status wait_for_start(int fifo_fd) {
  // The fifo was opened O_RDONLY|O_NONBLOCK before any writer existed: poll reports
  // nothing until `arca start` opens the write end and writes its byte.
  pollfd p{fifo_fd, POLLIN, 0};
  for (;;) {
    int n = poll(&p, 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::os("wait for start");
    break;
  }
  char byte;
  if (read(fifo_fd, &byte, 1) != 1) return Error::invalid("exec fifo closed without start");
  close(fifo_fd);
  return {};
}

}  // namespace arca::process::steps
