// config.json "process" (and linux.personality) -> credentials, capabilities, limits.
#include <sys/personality.h>

#include "plan/launch.h"

namespace arca::plan {
namespace {

Result<uint64_t> capability_mask(const std::vector<std::string>& names, const std::string& at) {
  uint64_t mask = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    auto number = capability_number(names[i]);
    if (!number) return std::move(number).error().context(at + "/" + std::to_string(i));
    mask |= uint64_t{1} << *number;
  }
  return mask;
}

Result<CapSets> cap_sets(const spec::Capabilities& caps) {
  const std::string at = "/process/capabilities/";
  CapSets sets;
  ARCA_ASSIGN(sets.bounding, capability_mask(caps.bounding, at + "bounding"));
  ARCA_ASSIGN(sets.effective, capability_mask(caps.effective, at + "effective"));
  ARCA_ASSIGN(sets.permitted, capability_mask(caps.permitted, at + "permitted"));
  ARCA_ASSIGN(sets.inheritable, capability_mask(caps.inheritable, at + "inheritable"));
  ARCA_ASSIGN(sets.ambient, capability_mask(caps.ambient, at + "ambient"));
  return sets;
}

// Duplicate types are kept in order: the child applies them in sequence, so the last one
// wins exactly as with runc (containerd-generated configs do contain duplicates).
Result<std::vector<Rlimit>> rlimits(const std::vector<spec::Rlimit>& limits) {
  std::vector<Rlimit> out;
  for (size_t i = 0; i < limits.size(); ++i) {
    const std::string at = "/process/rlimits/" + std::to_string(i);
    auto resource = rlimit_number(limits[i].type);
    if (!resource) return std::move(resource).error().context(at + "/type");
    if (limits[i].soft > limits[i].hard) {
      return Error::invalid(at + ": soft limit " + std::to_string(limits[i].soft) +
                            " exceeds hard limit " + std::to_string(limits[i].hard));
    }
    out.push_back({*resource, limits[i].type, limits[i].soft, limits[i].hard});
  }
  return out;
}

// A window size is two 16-bit numbers (struct winsize); refuse what would be truncated.
Result<uint16_t> console_dimension(uint32_t value, const char* field) {
  if (value > UINT16_MAX) {
    return Error::invalid(std::string("/process/consoleSize/") + field + ": " +
                          std::to_string(value) + " exceeds 65535");
  }
  return static_cast<uint16_t>(value);
}

Result<unsigned long> personality_domain(const spec::Personality& p) {
  // Flags (ADDR_NO_RANDOMIZE, ...) are not mapped yet; refusing beats running without them.
  if (!p.flags.empty()) return Error::invalid("/linux/personality/flags: unsupported");
  if (p.domain == "LINUX") return static_cast<unsigned long>(PER_LINUX);
  if (p.domain == "LINUX32") return static_cast<unsigned long>(PER_LINUX32);
  return Error::invalid("/linux/personality/domain: unknown domain " + quote(p.domain));
}

// Fields the launch plan cannot express yet. Starting the container without them would
// quietly give the workload a different scheduling or I/O setup than it asked for.
Status refuse_unsupported(const spec::Process& process) {
  if (process.io_priority) return Error::invalid("/process/ioPriority: not supported yet");
  if (process.scheduler) return Error::invalid("/process/scheduler: not supported yet");
  if (process.exec_cpu_affinity) {
    return Error::invalid("/process/execCPUAffinity: not supported yet");
  }
  return {};
}

}  // namespace

Status plan_process(const spec::Config& config, Launch* launch) {
  const spec::Process& process = config.process;
  ARCA_TRY(refuse_unsupported(process));
  launch->args = process.args;
  launch->env = process.env;
  launch->cwd = process.cwd;
  launch->uid = process.user.uid;
  launch->gid = process.user.gid;
  launch->additional_gids.assign(process.user.additional_gids.begin(),
                                 process.user.additional_gids.end());
  launch->umask.reset();
  if (process.user.umask) {
    if (*process.user.umask > 0777) {
      return Error::invalid("/process/user/umask: " + std::to_string(*process.user.umask) +
                            " is not a permission mask");
    }
    launch->umask = static_cast<mode_t>(*process.user.umask);
  }
  // No capabilities section means no capabilities, as runc does: keeping the runtime's
  // own sets (and the caller's inheritable and ambient ones) would give a config that
  // leaves the section out a fully privileged container (CVE-2022-29162 class).
  launch->caps = CapSets{};
  if (process.capabilities) {
    ARCA_ASSIGN(launch->caps, cap_sets(*process.capabilities));
  }
  ARCA_ASSIGN(launch->rlimits, rlimits(process.rlimits));
  launch->no_new_privileges = process.no_new_privileges;
  launch->apparmor_profile = process.apparmor_profile;
  launch->selinux_label = process.selinux_label;
  launch->oom_score_adj.reset();
  if (process.oom_score_adj) {
    const int32_t adj = *process.oom_score_adj;
    if (adj < -1000 || adj > 1000) {
      return Error::invalid("/process/oomScoreAdj: " + std::to_string(adj) +
                            " is outside [-1000, 1000]");
    }
    launch->oom_score_adj = adj;
  }
  launch->terminal = process.terminal;
  launch->console_rows = launch->console_cols = 0;
  if (process.terminal && process.console_size) {
    ARCA_ASSIGN(launch->console_rows, console_dimension(process.console_size->height, "height"));
    ARCA_ASSIGN(launch->console_cols, console_dimension(process.console_size->width, "width"));
  }
  launch->personality.reset();
  if (config.linux.personality) {
    ARCA_ASSIGN(launch->personality, personality_domain(*config.linux.personality));
  }
  return {};
}

}  // namespace arca::plan
