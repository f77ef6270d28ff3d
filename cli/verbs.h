// One file per verb; each registers its subcommand and, when selected, sets `action`.
#pragma once

#include <CLI/CLI.hpp>
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
};

// What main runs after parsing: the selected verb, returning the user's exit status.
using Action = std::function<Result<int>()>;

void add_spec(CLI::App& app, Globals& g, Action& action);
void add_create_and_run(CLI::App& app, Globals& g, Action& action);
void add_start(CLI::App& app, Globals& g, Action& action);
void add_state_and_list(CLI::App& app, Globals& g, Action& action);
void add_kill(CLI::App& app, Globals& g, Action& action);
void add_delete(CLI::App& app, Globals& g, Action& action);
void add_pause_resume_ps(CLI::App& app, Globals& g, Action& action);
void add_features(CLI::App& app, Globals& g, Action& action);
void add_update(CLI::App& app, Globals& g, Action& action);
void add_events(CLI::App& app, Globals& g, Action& action);
void add_unimplemented(CLI::App& app, Action& action);

// "create \"c1\"": the operation and operand every error of a verb starts with.
std::string op(const char* verb, const std::string& id);

}  // namespace arca::cli
