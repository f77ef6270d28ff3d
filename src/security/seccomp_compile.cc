// Compilation of `linux.seccomp` with libseccomp, entirely in the parent. The semantics follow
// runc where the spec is silent (skipped unknown names, rules equal to the default, several
// conditions on one argument) so profiles written for Docker/containerd behave the same.
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/log.h"
#include "base/unique_fd.h"
#include "security/seccomp.h"
#include "security/seccomp_tables.h"
#include "spec/json_reader.h"

namespace arca::security {
namespace {

using nlohmann::json;
using spec::json_error;
using spec::Reader;

constexpr unsigned int kMaxArgs = 6;  // syscall arguments the kernel passes to filters
// seccomp(2) rejects longer programs (BPF_MAXINSNS); say so here rather than in the child.
constexpr std::size_t kMaxInstructions = 4096;

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

// libseccomp returns -errno; Error wants errno set for render().
Error lib_error(int rc, const std::string& what) { return Error(-rc, what); }

Result<uint32_t> parse_action(const Reader& r, const char* key, const char* errno_key) {
  std::string name;
  ARCA_TRY(r.require(key, &name));
  const seccomp_tables::Action* action = seccomp_tables::find_action(name);
  if (action == nullptr) return json_error(r.child(key), "unknown action " + quote(name));
  if (!action->takes_errno) return action->value;
  // runc's default for both ERRNO and TRACE; the kernel keeps 16 bits of data.
  uint32_t data = EPERM;
  ARCA_TRY(r.get(errno_key, &data));
  if (data > 0xffff) return json_error(r.child(errno_key), "must be at most 65535");
  return action->value | data;
}

Result<scmp_arg_cmp> parse_arg(const json& value, const std::string& ptr) {
  ARCA_ASSIGN(Reader r, Reader::open(value, ptr));
  uint32_t index = 0;
  uint64_t datum = 0;
  uint64_t datum_two = 0;
  std::string op;
  ARCA_TRY(r.require("index", &index));
  if (index >= kMaxArgs) return json_error(r.child("index"), "must be below 6");
  ARCA_TRY(r.require("value", &datum));
  ARCA_TRY(r.get("valueTwo", &datum_two));
  ARCA_TRY(r.require("op", &op));
  const seccomp_tables::Operator* found = seccomp_tables::find_operator(op);
  if (found == nullptr) return json_error(r.child("op"), "unknown operator " + quote(op));
  // Only MASKED_EQ has two operands: (arg & value) == valueTwo.
  if (found->value != SCMP_CMP_MASKED_EQ) datum_two = 0;
  return scmp_arg_cmp{index, found->value, datum, datum_two};
}

// runc's rule: conditions on distinct arguments are ANDed in one rule, but when one argument
// appears twice (e.g. two allowed values) each condition is its own rule, ORing them.
Status add_rules(scmp_filter_ctx ctx, uint32_t action, int nr, const std::string& name,
                 const std::vector<scmp_arg_cmp>& args, const std::string& ptr) {
  unsigned int per_index[kMaxArgs] = {};
  bool repeated = false;
  for (const scmp_arg_cmp& arg : args) repeated |= ++per_index[arg.arg] > 1;
  auto add = [&](unsigned int count, const scmp_arg_cmp* cmp) -> Status {
    int rc = seccomp_rule_add_array(ctx, action, nr, count, cmp);
    if (rc < 0) return lib_error(rc, ptr + ": add rule for " + quote(name));
    return {};
  };
  if (!repeated) return add(args.size(), args.data());
  for (const scmp_arg_cmp& arg : args) ARCA_TRY(add(1, &arg));
  return {};
}

struct Entry {
  std::vector<std::string> names;
  uint32_t action = 0;
  std::vector<scmp_arg_cmp> args;
};

Result<Entry> parse_entry(const json& value, const std::string& ptr) {
  ARCA_ASSIGN(Reader r, Reader::open(value, ptr));
  Entry entry;
  ARCA_TRY(r.require("names", &entry.names));
  ARCA_ASSIGN(entry.action, parse_action(r, "action", "errnoRet"));
  if (const json* args = r.find("args")) {
    if (!args->is_array()) return json_error(r.child("args"), "must be an array");
    for (std::size_t i = 0; i < args->size(); ++i) {
      ARCA_ASSIGN(scmp_arg_cmp cmp,
                  parse_arg((*args)[i], r.child("args") + "/" + std::to_string(i)));
      entry.args.push_back(cmp);
    }
  }
  return entry;
}

// Adds every syscalls[] entry; returns whether any of them notifies.
Result<bool> add_syscalls(scmp_filter_ctx ctx, const Reader& r, uint32_t default_action) {
  const json* syscalls = r.find("syscalls");
  if (syscalls == nullptr) return false;
  const std::string at = r.child("syscalls");
  if (!syscalls->is_array()) return json_error(at, "must be an array");
  bool notify = false;
  for (std::size_t i = 0; i < syscalls->size(); ++i) {
    const std::string ptr = at + "/" + std::to_string(i);
    ARCA_ASSIGN(Entry entry, parse_entry((*syscalls)[i], ptr));
    if (entry.action == default_action) continue;
    notify |= entry.action == SCMP_ACT_NOTIFY;
    for (const std::string& name : entry.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        log::warn("seccomp: " + ptr + ": unknown syscall " + quote(name) + " ignored");
        continue;
      }
      ARCA_TRY(add_rules(ctx, entry.action, nr, name, entry.args, ptr));
    }
  }
  return notify;
}

Status add_architectures(scmp_filter_ctx ctx, const Reader& r) {
  std::vector<std::string> names;
  ARCA_TRY(r.get("architectures", &names));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string ptr = r.child("architectures") + "/" + std::to_string(i);
    const seccomp_tables::Arch* arch = seccomp_tables::find_arch(names[i]);
    if (arch == nullptr) return json_error(ptr, "unknown architecture " + quote(names[i]));
    int rc = seccomp_arch_add(ctx, arch->token);
    // The native architecture is in every new filter already.
    if (rc == -EEXIST) continue;
    // One BPF program loads arguments in one byte order (Docker's profiles list only the
    // host's family, so this is a profile written for another machine).
    if (rc == -EDOM) {
      return json_error(
          ptr, quote(names[i]) + " has a different byte order than " + "the native architecture");
    }
    if (rc < 0) return lib_error(rc, ptr + ": add architecture " + quote(names[i]));
  }
  return {};
}

Result<unsigned int> parse_flags(const Reader& r) {
  std::vector<std::string> names;
  ARCA_TRY(r.get("flags", &names));
  unsigned int flags = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const seccomp_tables::Flag* flag = seccomp_tables::find_flag(names[i]);
    if (flag == nullptr) {
      return json_error(r.child("flags") + "/" + std::to_string(i),
                        "unknown flag " + quote(names[i]));
    }
    flags |= flag->value;
  }
  return flags;
}

// libseccomp 2.5.4 can only export to a file descriptor; a memfd keeps it off any disk.
Result<std::vector<sock_filter>> export_filter(scmp_filter_ctx ctx) {
  UniqueFd fd(::memfd_create("arca-seccomp", MFD_CLOEXEC));
  if (!fd.valid()) return Error::os("seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) return lib_error(rc, "seccomp: export BPF");
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return Error::os("seccomp: size exported BPF");
  if (size % sizeof(sock_filter) != 0) {
    return Error::invalid("seccomp: exported BPF is not a whole number of instructions");
  }
  std::vector<sock_filter> filter(size / sizeof(sock_filter));
  auto* out = reinterpret_cast<char*>(filter.data());
  for (off_t done = 0; done < size;) {
    ssize_t n = ::pread(fd.get(), out + done, size - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::os("seccomp: read exported BPF");
    done += n;
  }
  return filter;
}

// The kernel refuses flag combinations that only matter with or without a listener.
unsigned int adjust_flags(unsigned int flags, bool notify) {
  if (!notify) return flags & ~static_cast<unsigned int>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  // TSYNC + NEW_LISTENER is EINVAL unless a failed sync reports ESRCH instead of a tid.
  if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return flags;
}

Result<SeccompProgram> compile(const Reader& r) {
  ARCA_ASSIGN(uint32_t default_action, parse_action(r, "defaultAction", "defaultErrnoRet"));
  // The listener fd is sent to the agent after the filter is in place; if every syscall
  // waited for that agent, sending it would block forever.
  if (default_action == SCMP_ACT_NOTIFY) {
    return json_error(r.child("defaultAction"), "SCMP_ACT_NOTIFY cannot be the default action");
  }
  Context ctx(seccomp_init(default_action));
  if (!ctx) {
    return json_error(r.child("defaultAction"), "not supported by libseccomp or the kernel");
  }
  // The runtime sets no_new_privs itself, at the point the configuration asks for.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return lib_error(rc, "seccomp: clear the NNP attribute");
  ARCA_TRY(add_architectures(ctx.get(), r));
  SeccompProgram program;
  ARCA_ASSIGN(unsigned int flags, parse_flags(r));
  ARCA_TRY(r.get("listenerPath", &program.listener_path));
  ARCA_TRY(r.get("listenerMetadata", &program.listener_metadata));
  ARCA_ASSIGN(program.notify, add_syscalls(ctx.get(), r, default_action));
  if (program.notify && program.listener_path.empty()) {
    return json_error(r.child("listenerPath"), "is required when SCMP_ACT_NOTIFY is used");
  }
  program.flags = adjust_flags(flags, program.notify);
  ARCA_ASSIGN(program.filter, export_filter(ctx.get()));
  if (program.filter.size() > kMaxInstructions) {
    return Error::invalid("seccomp: the filter has " + std::to_string(program.filter.size()) +
                          " instructions, the kernel allows 4096");
  }
  return program;
}

}  // namespace

Result<std::optional<SeccompProgram>> compile_seccomp(const json& seccomp,
                                                      bool /*no_new_privileges*/) {
  if (seccomp.is_null()) return std::optional<SeccompProgram>();
  ARCA_ASSIGN(Reader r, Reader::open(seccomp, "/linux/seccomp"));
  if (!r.has("defaultAction") && !r.has("syscalls")) return std::optional<SeccompProgram>();
  ARCA_ASSIGN(SeccompProgram program, compile(r));
  return std::optional<SeccompProgram>(std::move(program));
}

}  // namespace arca::security
