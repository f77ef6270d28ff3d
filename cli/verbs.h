// One file per verb; each registers its subcommand and, when selected, sets `action`.
#pragma once

#include "args.h"
#include <functional>
#include <string>

#include "base/error.h"

namespace arca::cli {

struct Globals {
  std::string root = "/run/arca";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";
  char** argv = nullptr;  // main's, for re-executing arca (security/exe_protection.h)
};

// What main runs after parsing: the selected verb, returning the user's exit status.
using Action = std::function<Result<int>()>;

void add_spec(args::Command& app, Globals& g, Action& action);
void add_create_and_run(args::Command& app, Globals& g, Action& action);
void add_start(args::Command& app, Globals& g, Action& action);
void add_state_and_list(args::Command& app, Globals& g, Action& action);
void add_kill(args::Command& app, Globals& g, Action& action);
void add_delete(args::Command& app, Globals& g, Action& action);
void add_pause_resume_ps(args::Command& app, Globals& g, Action& action);
void add_features(args::Command& app, Globals& g, Action& action);
void add_update(args::Command& app, Globals& g, Action& action);
void add_events(args::Command& app, Globals& g, Action& action);
void add_exec(args::Command& app, Globals& g, Action& action);
void add_shell(args::Command& app, Globals& g, Action& action);
void add_images(args::Command& app, Globals& g, Action& action);
void add_unimplemented(args::Command& app, Action& action);

// "create \"c1\"": the operation and operand every error of a verb starts with.
std::string op(const char* verb, const std::string& id);

}  // namespace arca::cli
