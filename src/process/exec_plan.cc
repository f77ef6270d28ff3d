#include "process/exec_plan.h"

#include <cctype>
#include <charconv>

#include "spec/names.h"
#include "spec/parse.h"
#include "validate/validate.h"

namespace arca::process {

namespace {

Result<uint32_t> parse_id(const std::string& text, const std::string& user) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid("--user " + quote(user) + ": must be uid[:gid] (numbers)");
  }
  return value;
}

// "sys_admin", "SYS_ADMIN" and "CAP_SYS_ADMIN" all name CAP_SYS_ADMIN.
Result<std::string> capability_name(const std::string& given) {
  std::string name;
  for (char c : given) name += static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (name.rfind("CAP_", 0) != 0) name = "CAP_" + name;
  if (spec::capability_index(name) < 0) {
    return Error::invalid("--cap: unknown capability " + quote(given));
  }
  return name;
}

Status apply_user(spec::User& user, const std::string& text) {
  size_t colon = text.find(':');
  ARCA_ASSIGN(user.uid, parse_id(text.substr(0, colon), text));
  if (colon != std::string::npos) {
    ARCA_ASSIGN(user.gid, parse_id(text.substr(colon + 1), text));
  }
  return {};
}

Status add_caps(std::optional<spec::Capabilities>& caps, const std::vector<std::string>& names) {
  if (names.empty()) return {};
  if (!caps) caps.emplace();
  for (const auto& given : names) {
    ARCA_ASSIGN(std::string name, capability_name(given));
    for (auto* set : {&caps->bounding, &caps->effective, &caps->permitted, &caps->ambient}) {
      set->push_back(name);
    }
  }
  return {};
}

// The checks config.json's process gets at create, then its plan, so that a bad process
// fails here with its pointer instead of half-way through the exec.
Result<plan::Launch> check_and_plan(const spec::Config& config) {
  for (const auto& check : validate::checks()) {
    std::string_view name = check.name;
    if (name == "process" || name == "capabilities" || name == "rlimits" || name == "scheduling") {
      ARCA_TRY(check.run(config, ""));
    }
  }
  plan::Launch launch;
  ARCA_TRY(plan::plan_process(config, &launch));
  return launch;
}

// "/process/args: ..." -> "/args: ...": pointers into the --process file itself.
Error relative_to_process(Error error) {
  const std::string prefix = "/process";
  const std::string& message = error.message();
  if (message.rfind(prefix, 0) == 0 && message.size() > prefix.size() &&
      (message[prefix.size()] == '/' || message[prefix.size()] == ':')) {
    std::string rest = message.substr(prefix.size());
    if (rest[0] == ':') rest = "/" + rest;  // the whole object: "/: ..."
    return Error(error.code(), rest);
  }
  return error;
}

}  // namespace

bool ExecFlags::changes_process() const {
  // Not tty: with --process the file's `terminal` decides and -t is ignored, as runc does
  // (Podman passes -t along with a process.json that has terminal: true).
  return !args.empty() || !env.empty() || cwd || user || !additional_gids.empty() ||
         !caps.empty() || no_new_privs || !apparmor.empty() || !process_label.empty();
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
  size_t eq = entry.find('=');
  for (auto& existing : env) {
    if (existing.size() > eq && existing.compare(0, eq + 1, entry, 0, eq + 1) == 0) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

Result<spec::Process> process_from_flags(const spec::Process& container, const ExecFlags& flags) {
  if (flags.args.empty()) return Error::invalid("no command given (COMMAND or --process)");
  spec::Process p = container;
  p.args = flags.args;
  for (const auto& entry : flags.env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error::invalid("--env " + quote(entry) + ": must be NAME=value");
    }
    set_env(p.env, entry);
  }
  if (flags.cwd) {
    if (flags.cwd->empty() || (*flags.cwd)[0] != '/') {
      return Error::invalid("--cwd " + quote(*flags.cwd) + ": must be an absolute path");
    }
    p.cwd = *flags.cwd;
  }
  if (flags.user) ARCA_TRY(apply_user(p.user, *flags.user));
  p.user.additional_gids.insert(p.user.additional_gids.end(), flags.additional_gids.begin(),
                                flags.additional_gids.end());
  ARCA_TRY(add_caps(p.capabilities, flags.caps));
  if (flags.no_new_privs) p.no_new_privileges = true;
  if (flags.tty) p.terminal = true;
  if (!flags.apparmor.empty()) p.apparmor_profile = flags.apparmor;
  if (!flags.process_label.empty()) p.selinux_label = flags.process_label;
  return p;
}

Result<spec::Process> process_from_json(const spec::Process& container, std::string_view text) {
  auto parsed = spec::parse_process(text);
  if (!parsed) return std::move(parsed).error();
  spec::Process p = std::move(parsed).value();
  if (!p.capabilities) p.capabilities = container.capabilities;
  if (p.rlimits.empty()) p.rlimits = container.rlimits;
  if (p.apparmor_profile.empty()) p.apparmor_profile = container.apparmor_profile;
  if (p.selinux_label.empty()) p.selinux_label = container.selinux_label;
  if (!p.user.umask) p.user.umask = container.user.umask;
  if (!p.oom_score_adj) p.oom_score_adj = container.oom_score_adj;
  return p;
}

Result<plan::Launch> make_exec_launch(const spec::Config& container, const spec::Process& process,
                                      bool from_file) {
  spec::Config config = container;
  config.has_process = true;
  config.process = process;
  auto launch = check_and_plan(config);
  if (!launch && from_file) return relative_to_process(launch.error());
  return launch;
}

}  // namespace arca::process
