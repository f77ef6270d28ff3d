// Seccomp: turning the runtime-spec `linux.seccomp` object into a BPF program, and loading it.
//
// The work is split across the clone on purpose. The parent compiles (libseccomp allocates,
// resolves names and may probe the kernel for supported actions), so every configuration
// error surfaces before a container process exists. The child only copies the finished
// sock_filter array into one seccomp(2) call right before execve: no libseccomp and no
// allocation on success, and nothing that the filter itself could then block.
#pragma once

#include <linux/filter.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace arca::security {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  // SECCOMP_FILTER_FLAG_* for seccomp(2), final except for NEW_LISTENER, which
  // load_seccomp() adds when `notify` is set (TSYNC_ESRCH is already added when TSYNC and
  // notify meet, and WAIT_KILLABLE_RECV is dropped without notify: the kernel rejects both
  // combinations otherwise).
  unsigned int flags = 0;
  // Some rule uses SCMP_ACT_NOTIFY: loading yields a listener fd for listener_path.
  bool notify = false;
  std::string listener_path;
  std::string listener_metadata;
};

// Compiles `linux.seccomp` (runtime-spec 1.2). Returns nullopt when seccomp is not asked
// for: a null value, or neither defaultAction nor syscalls (runc treats that as disabled).
// Errors name the JSON pointer: `/linux/seccomp/syscalls/3/action: unknown action "X"`.
// Syscall names this libseccomp does not know are skipped with a warning, so a profile
// written for a newer kernel still works; rules whose action equals defaultAction are
// skipped because libseccomp refuses them and they change nothing.
// `no_new_privileges` does not change the program (the runtime sets no_new_privs itself
// and libseccomp's NNP attribute only affects seccomp_load, which is never called); it is
// part of the signature so callers pass the fact alongside the profile.
Result<std::optional<SeccompProgram>> compile_seccomp(const nlohmann::json& seccomp,
                                                      bool no_new_privileges);

// Installs the program on the calling thread. Needs no_new_privs or CAP_SYS_ADMIN in the
// caller's user namespace. When p.notify, *notify_fd receives the listener fd, which the
// kernel opens O_CLOEXEC, so it must be handed over before execve; otherwise -1. Allocates
// only on failure.
Status load_seccomp(const SeccompProgram& p, int* notify_fd);

// The spec names arca understands, for `arca features` (linux.seccomp.*).
std::vector<std::string> seccomp_action_names();
std::vector<std::string> seccomp_operator_names();
std::vector<std::string> seccomp_arch_names();
std::vector<std::string> seccomp_flag_names();

}  // namespace arca::security
