// Checks of config.json "process".
#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <utility>

#include "spec/names.h"
#include "validate/checks.h"

namespace arca::validate {
namespace {

constexpr std::string_view kSchedPolicies[] = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
    "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
};

constexpr std::string_view kSchedFlags[] = {
    "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};

constexpr std::string_view kIoPriorityClasses[] = {
    "IOPRIO_CLASS_RT",
    "IOPRIO_CLASS_BE",
    "IOPRIO_CLASS_IDLE",
};

}  // namespace

Status check_process(const spec::Config& c, const std::string&) {
  if (!c.has_process) return fail("/process", "is required");
  const spec::Process& p = c.process;
  if (p.args.empty()) return fail("/process/args", "must be a non-empty array");
  if (!is_absolute(p.cwd)) return fail("/process/cwd", "must be an absolute path");
  if (!p.command_line.empty()) return fail("/process/commandLine", "is Windows only");
  for (std::size_t i = 0; i < p.env.size(); ++i) {
    // execve() would pass a malformed entry through and confuse getenv() in the container.
    std::size_t eq = p.env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(at("/process/env", i), quote(p.env[i]) + " is not NAME=value");
    }
  }
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000)) {
    return fail("/process/oomScoreAdj", "must be between -1000 and 1000");
  }
  return {};
}

Status check_capabilities(const spec::Config& c, const std::string&) {
  if (!c.process.capabilities) return {};
  const spec::Capabilities& caps = *c.process.capabilities;
  const std::pair<const char*, const std::vector<std::string>*> sets[] = {
      {"bounding", &caps.bounding},       {"effective", &caps.effective},
      {"inheritable", &caps.inheritable}, {"permitted", &caps.permitted},
      {"ambient", &caps.ambient},
  };
  for (const auto& [name, set] : sets) {
    for (std::size_t i = 0; i < set->size(); ++i) {
      if (spec::capability_index((*set)[i]) < 0) {
        return fail(at(std::string("/process/capabilities/") + name, i),
                    "unknown capability " + quote((*set)[i]));
      }
    }
  }
  return {};
}

Status check_rlimits(const spec::Config& c, const std::string&) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < c.process.rlimits.size(); ++i) {
    const spec::Rlimit& r = c.process.rlimits[i];
    std::string ptr = at("/process/rlimits", i);
    if (spec::rlimit_resource(r.type) < 0)
      return fail(ptr + "/type", "unknown rlimit " + quote(r.type));
    if (!seen.insert(r.type).second) {
      return fail(ptr + "/type", "duplicate rlimit " + quote(r.type));
    }
    if (r.soft > r.hard) return fail(ptr, "soft limit exceeds hard limit");
  }
  return {};
}

Status check_scheduling(const spec::Config& c, const std::string&) {
  const spec::Process& p = c.process;
  if (p.scheduler) {
    const spec::Scheduler& s = *p.scheduler;
    if (!known(kSchedPolicies, s.policy)) {
      return fail("/process/scheduler/policy", "unknown policy " + quote(s.policy));
    }
    if (s.nice < -20 || s.nice > 19) {
      return fail("/process/scheduler/nice", "must be between -20 and 19");
    }
    for (std::size_t i = 0; i < s.flags.size(); ++i) {
      if (!known(kSchedFlags, s.flags[i])) {
        return fail(at("/process/scheduler/flags", i), "unknown flag " + quote(s.flags[i]));
      }
    }
  }
  if (p.io_priority) {
    if (!known(kIoPriorityClasses, p.io_priority->klass)) {
      return fail("/process/ioPriority/class", "unknown class " + quote(p.io_priority->klass));
    }
    // The kernel has eight levels per class (IOPRIO_NR_LEVELS).
    if (p.io_priority->priority < 0 || p.io_priority->priority > 7) {
      return fail("/process/ioPriority/priority", "must be between 0 and 7");
    }
  }
  return {};
}

}  // namespace arca::validate
