// The individual steps of the init checklist (init.cc calls them in order).
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "plan/launch.h"
#include "process/sync.h"
#include "security/seccomp.h"

namespace arca::process::steps {

// In a new user namespace: ask the parent to write the id maps, then become root in it.
Status wait_for_id_maps(const SyncChannel& channel);
Status become_root_in_userns();
// Joins the user namespace (user = true) or every other configured namespace, in plan
// order (mount last: joining it changes how later paths resolve).
Status join_namespaces(const plan::Launch& launch, bool user);
Status join_session_keyring();
Status set_identity(const plan::Launch& launch);  // hostname, domainname
// A new network namespace starts with "lo" down; containers expect it up.
Status bring_up_loopback(const plan::Launch& launch);
Status apply_sysctls(const plan::Launch& launch);
Status apply_rlimits(const plan::Launch& launch);
Status apply_personality(const plan::Launch& launch);
Status set_no_new_privileges(const plan::Launch& launch);
// Installs the filter (none: nothing). With SCMP_ACT_NOTIFY the kernel hands over the
// listener fd; it goes to arca over `channel` (kSeccompFd), which passes it on to the
// agent (security/listener_handoff.h), and our copy is closed before execve.
Status load_seccomp_filter(const security::SeccompProgram* program, const SyncChannel& channel);
// chdir to cwd; before the user switch a permission error is tolerated (retried after).
Status change_dir(const plan::Launch& launch, bool final_attempt);
Status apply_umask(const plan::Launch& launch);
// process.terminal: a new pty whose slave becomes the process's stdio and controlling
// terminal, and with `mount_console` (the init, not exec) /dev/console; the master goes to
// arca (kTerminal) and is closed here.
Status setup_terminal(const plan::Launch& launch, const SyncChannel& channel, bool mount_console);
// runc's rule: without HOME in the config, HOME is the user's home from the
// container's /etc/passwd, or "/" when the user has no entry.
void add_default_home(std::vector<std::string>& env, uid_t uid);
// PATH lookup in the container's env: the path execve will be given.
Result<std::string> find_executable(const plan::Launch& launch);
// Moves arca's own fds above the preserved range and marks everything >= 3 + preserve
// close-on-exec, so only stdio and the preserved fds reach the container.
Status close_fds_on_exec(int preserve_fds, int* keep_a, int* keep_b);
// Blocks on the exec fifo until `arca start` writes to it.
Status wait_for_start(int fifo_fd);

}  // namespace arca::process::steps
