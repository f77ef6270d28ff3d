// config.json "process".
#include "spec/parse_sections.h"

namespace arca::spec {

Status decode(const json& v, const std::string& ptr, ConsoleSize* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("height", &out->height));
  ARCA_TRY(r.require("width", &out->width));
  return {};
}

Status decode(const json& v, const std::string& ptr, User* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  // uid and gid are REQUIRED by the spec, but engines have long relied on the zero
  // default (as runc's Go decoding gives), so absence means root.
  ARCA_TRY(r.get("uid", &out->uid));
  ARCA_TRY(r.get("gid", &out->gid));
  ARCA_TRY(r.get("umask", &out->umask));
  ARCA_TRY(r.get("additionalGids", &out->additional_gids));
  ARCA_TRY(r.get("username", &out->username));
  return {};
}

Status decode(const json& v, const std::string& ptr, Capabilities* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("bounding", &out->bounding));
  ARCA_TRY(r.get("effective", &out->effective));
  ARCA_TRY(r.get("inheritable", &out->inheritable));
  ARCA_TRY(r.get("permitted", &out->permitted));
  ARCA_TRY(r.get("ambient", &out->ambient));
  return {};
}

Status decode(const json& v, const std::string& ptr, Rlimit* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("type", &out->type));
  ARCA_TRY(r.require("hard", &out->hard));
  ARCA_TRY(r.require("soft", &out->soft));
  return {};
}

Status decode(const json& v, const std::string& ptr, IoPriority* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("class", &out->klass));
  ARCA_TRY(r.require("priority", &out->priority));
  return {};
}

Status decode(const json& v, const std::string& ptr, Scheduler* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.require("policy", &out->policy));
  ARCA_TRY(r.get("nice", &out->nice));
  ARCA_TRY(r.get("priority", &out->priority));
  ARCA_TRY(r.get("flags", &out->flags));
  ARCA_TRY(r.get("runtime", &out->runtime));
  ARCA_TRY(r.get("deadline", &out->deadline));
  ARCA_TRY(r.get("period", &out->period));
  return {};
}

Status decode(const json& v, const std::string& ptr, ExecCpuAffinity* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("initial", &out->initial));
  ARCA_TRY(r.get("final", &out->final));
  return {};
}

Status decode(const json& v, const std::string& ptr, Process* out) {
  ARCA_ASSIGN(Reader r, Reader::open(v, ptr));
  ARCA_TRY(r.get("terminal", &out->terminal));
  ARCA_TRY(r.get("consoleSize", &out->console_size));
  ARCA_TRY(r.get("user", &out->user));
  ARCA_TRY(r.get("args", &out->args));
  ARCA_TRY(r.get("commandLine", &out->command_line));
  ARCA_TRY(r.get("env", &out->env));
  ARCA_TRY(r.get("cwd", &out->cwd));
  ARCA_TRY(r.get("capabilities", &out->capabilities));
  ARCA_TRY(r.get("rlimits", &out->rlimits));
  ARCA_TRY(r.get("noNewPrivileges", &out->no_new_privileges));
  ARCA_TRY(r.get("apparmorProfile", &out->apparmor_profile));
  ARCA_TRY(r.get("oomScoreAdj", &out->oom_score_adj));
  ARCA_TRY(r.get("selinuxLabel", &out->selinux_label));
  ARCA_TRY(r.get("ioPriority", &out->io_priority));
  ARCA_TRY(r.get("scheduler", &out->scheduler));
  ARCA_TRY(r.get("execCPUAffinity", &out->exec_cpu_affinity));
  return {};
}

}  // namespace arca::spec
