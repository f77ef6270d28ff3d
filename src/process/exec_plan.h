// What `arca exec` runs: the container's process spec with the caller's changes, turned into
// a launch plan. Pure: unit tests drive it without privileges.
//
// The rules are runc's, so engines see the same process either way:
// - Without --process, the new process starts as a copy of config.json's `process`
//   (args, env, user, cwd, capabilities, rlimits, noNewPrivileges, umask, ...) and the
//   flags change it: COMMAND replaces args, -e adds or replaces variables (the last value
//   of a name wins, in the position of its first occurrence), -u sets uid (and gid when
//   given), --additional-gids adds groups, --cap adds a capability to the bounding,
//   effective and permitted sets (and asks for it as ambient, which the kernel grants
//   only when it is inheritable too), --no-new-privs sets no_new_privs.
// - With --process FILE, the file is the process: only what it leaves out falls back to
//   the container's: capabilities (absent), rlimits (empty), apparmorProfile and
//   selinuxLabel (empty), umask and oomScoreAdj (absent). noNewPrivileges is the file's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "plan/launch.h"
#include "spec/config.h"

namespace arca::process {

// The per-process flags of `arca exec` (everything but --process and the fd/pid handling).
struct ExecFlags {
  std::vector<std::string> args;  // COMMAND [ARGS]
  std::vector<std::string> env;   // -e NAME=value
  std::optional<std::string> cwd;
  std::optional<std::string> user;  // "uid[:gid]"
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;  // "CAP_SYS_ADMIN", "sys_admin", ...
  bool no_new_privs = false;
  bool tty = false;
  std::string apparmor;       // --apparmor
  std::string process_label;  // --process-label
  // True when any flag that changes the process was given (they conflict with --process).
  bool changes_process() const;
};

// The process from the container's and the flags (see the rules above). Errors name the
// flag: `--user "x": must be uid[:gid]`.
Result<spec::Process> process_from_flags(const spec::Process& container, const ExecFlags& flags);

// The process from --process JSON text, completed from the container's. Errors name the
// JSON pointer inside the file: `/args: must be an array of strings`.
Result<spec::Process> process_from_json(const spec::Process& container, std::string_view text);

// Validates `process` as config.json's would be and plans it: args, env, cwd, ids, caps,
// rlimits, no_new_privs, umask, oom_score_adj and the container's personality. Namespaces
// and the filesystem are the container's and not planned again. `from_file`: errors point
// into the --process file ("/args: ...") rather than config.json ("/process/args: ...").
Result<plan::Launch> make_exec_launch(const spec::Config& container, const spec::Process& process,
                                      bool from_file);

// Sets NAME=value in env: replaced in place when NAME is there, else appended.
void set_env(std::vector<std::string>& env, const std::string& entry);

}  // namespace arca::process
