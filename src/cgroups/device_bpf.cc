#include "cgroups/device_bpf.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/unique_fd.h"

namespace arca::cgroups {
namespace {

int bpf(int cmd, union bpf_attr* attr) {
  return static_cast<int>(syscall(SYS_bpf, cmd, attr, sizeof *attr));
}

uint64_t as_u64(const void* p) { return reinterpret_cast<uintptr_t>(p); }

int load_once(const std::vector<bpf_insn>& program, std::string* log) {
  static const char kLicense[] = "GPL";  // no helpers are called: any license would do
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = as_u64(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = as_u64(kLicense);
  if (log != nullptr) {
    log->assign(65536, '\0');
    attr.log_level = 1;
    attr.log_buf = as_u64(log->data());
    attr.log_size = static_cast<uint32_t>(log->size());
  }
  return bpf(BPF_PROG_LOAD, &attr);
}

// The verifier's last complaint, for the error message.
std::string last_line(const std::string& log) {
  std::string text = log.substr(0, log.find('\0'));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);
}

Result<UniqueFd> load(const std::vector<bpf_insn>& program) {
  int fd = load_once(program, nullptr);
  if (fd < 0 && errno == EPERM) {
    // Before Linux 5.11 programs are charged to RLIMIT_MEMLOCK. Raise it for this load
    // only: the container's init is cloned later and must not inherit a raised limit.
    struct rlimit saved, raised;
    if (getrlimit(RLIMIT_MEMLOCK, &saved) == 0) {
      raised = {RLIM_INFINITY, RLIM_INFINITY};
      if (setrlimit(RLIMIT_MEMLOCK, &raised) == 0) {
        fd = load_once(program, nullptr);
        int err = errno;
        setrlimit(RLIMIT_MEMLOCK, &saved);
        errno = err;
      }
    }
  }
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  // Only the verifier's EINVAL has a log worth a second load (64 KiB of it); EPERM
  // (no CAP_BPF: handled by the caller as best effort) and the rest do not.
  if (err != EINVAL) return Error(err, "load eBPF device program");
  std::string log;
  int again = load_once(program, &log);
  if (again >= 0) return UniqueFd(again);  // passed with a log: a transient failure
  std::string why = last_line(log);
  return Error(err, "load eBPF device program" + (why.empty() ? "" : " (" + why + ")"));
}

Status detach(int cgroup_fd, uint32_t id) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  UniqueFd prog(bpf(BPF_PROG_GET_FD_BY_ID, &attr));
  if (!prog.valid()) {
    if (errno == ENOENT) return {};  // gone already
    return Error::os("open eBPF program " + std::to_string(id));
  }
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, &attr) != 0 && errno != ENOENT) {
    return Error::os("detach eBPF device program " + std::to_string(id));
  }
  return {};
}

}  // namespace

Result<std::vector<uint32_t>> attached_device_programs(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  for (;;) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = as_u64(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, &attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    if (errno != ENOSPC || ids.size() >= 65536) {
      return Error::os("query the cgroup's eBPF device programs");
    }
    ids.resize(ids.size() * 4);
  }
}

Status install_device_program(int cgroup_fd, const std::vector<bpf_insn>& program) {
  ARCA_ASSIGN(std::vector<uint32_t> old, attached_device_programs(cgroup_fd));
  ARCA_ASSIGN(UniqueFd prog, load(program));
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attr) != 0) return Error::os("attach eBPF device program");
  // The cgroup keeps the attached program; our fd to it can go.
  for (uint32_t id : old) ARCA_TRY(detach(cgroup_fd, id));
  return {};
}

}  // namespace arca::cgroups
