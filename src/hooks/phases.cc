#include "hooks/phases.h"

namespace arca::hooks {

using nlohmann::json;

namespace {

// The lists state.json keeps for later verbs.
constexpr Phase kRecorded[] = {Phase::poststart, Phase::poststop};

json hook_to_json(const spec::Hook& hook) {
  json j{{"path", hook.path}};
  if (!hook.args.empty()) j["args"] = hook.args;
  if (!hook.env.empty()) j["env"] = hook.env;
  if (hook.timeout) j["timeout"] = *hook.timeout;
  return j;
}

Result<std::vector<std::string>> strings(const json& j, const std::string& where) {
  if (!j.is_array()) return Error::invalid(where + ": expected an array of strings");
  std::vector<std::string> out;
  for (const auto& s : j) {
    if (!s.is_string()) return Error::invalid(where + ": expected an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Result<spec::Hook> hook_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return Error::invalid(where + ": expected an object");
  spec::Hook hook;
  auto path = j.find("path");
  if (path == j.end() || !path->is_string()) return Error::invalid(where + ": expected a path");
  hook.path = path->get<std::string>();
  if (auto it = j.find("args"); it != j.end()) {
    ARCA_ASSIGN(hook.args, strings(*it, where + "/args"));
  }
  if (auto it = j.find("env"); it != j.end()) {
    ARCA_ASSIGN(hook.env, strings(*it, where + "/env"));
  }
  if (auto it = j.find("timeout"); it != j.end()) {
    if (!it->is_number_integer()) return Error::invalid(where + "/timeout: expected an integer");
    hook.timeout = it->get<int32_t>();
  }
  return hook;
}

// One switch for both constnesses of select().
template <class HooksT>
auto& list_of(HooksT& hooks, Phase phase) {
  switch (phase) {
    case Phase::prestart:
      return hooks.prestart;
    case Phase::create_runtime:
      return hooks.create_runtime;
    case Phase::create_container:
      return hooks.create_container;
    case Phase::start_container:
      return hooks.start_container;
    case Phase::poststart:
      return hooks.poststart;
    case Phase::poststop:
      break;
  }
  return hooks.poststop;
}

}  // namespace

const char* name(Phase phase) {
  switch (phase) {
    case Phase::prestart:
      return "prestart";
    case Phase::create_runtime:
      return "createRuntime";
    case Phase::create_container:
      return "createContainer";
    case Phase::start_container:
      return "startContainer";
    case Phase::poststart:
      return "poststart";
    case Phase::poststop:
      return "poststop";
  }
  return "unknown";
}

const std::vector<spec::Hook>& select(const spec::Hooks& hooks, Phase phase) {
  return list_of(hooks, phase);
}

state::Status status_at(Phase phase) {
  switch (phase) {
    case Phase::prestart:
    case Phase::create_runtime:
    case Phase::create_container:
      return state::Status::creating;
    case Phase::start_container:
      // The process is not running yet: runc says "created" here too.
      return state::Status::created;
    case Phase::poststart:
      return state::Status::running;
    case Phase::poststop:
      return state::Status::stopped;
  }
  return state::Status::stopped;
}

std::string state_json(const state::Record& record, Phase phase) {
  return state::oci_state(record, status_at(phase)).dump();
}

bool needs_init_hooks(const spec::Hooks& hooks) {
  return !hooks.prestart.empty() || !hooks.create_runtime.empty() ||
         !hooks.create_container.empty() || !hooks.start_container.empty();
}

json to_record(const spec::Hooks& hooks) {
  json out = json::object();
  for (Phase phase : kRecorded) {
    const auto& list = select(hooks, phase);
    if (list.empty()) continue;
    json entries = json::array();
    for (const auto& hook : list) entries.push_back(hook_to_json(hook));
    out[name(phase)] = std::move(entries);
  }
  return out;
}

Result<spec::Hooks> from_record(const json& extra) {
  spec::Hooks hooks;
  auto it = extra.find("hooks");
  if (it == extra.end() || it->is_null()) return hooks;
  if (!it->is_object()) return Error::invalid("state.json: hooks: expected an object");
  for (Phase phase : kRecorded) {
    auto list = it->find(name(phase));
    if (list == it->end()) continue;
    std::string where = std::string("state.json: hooks/") + name(phase);
    if (!list->is_array()) return Error::invalid(where + ": expected an array");
    for (std::size_t i = 0; i < list->size(); ++i) {
      ARCA_ASSIGN(spec::Hook hook, hook_from_json((*list)[i], where + "/" + std::to_string(i)));
      list_of(hooks, phase).push_back(std::move(hook));
    }
  }
  return hooks;
}

}  // namespace arca::hooks
