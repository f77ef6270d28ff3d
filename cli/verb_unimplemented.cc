// Verbs of runc's command line that later work implements: a clear error until then.
#include "verbs.h"

namespace arca::cli {

void add_unimplemented(CLI::App& app, Action& action) {
  static const char* const kVerbs[][2] = {
      {"exec", "run a process in a container"},
      {"checkpoint", "checkpoint a container (not supported)"},
      {"restore", "restore a container (not supported)"},
  };
  for (const auto& verb : kVerbs) {
    auto* sub = app.add_subcommand(verb[0], verb[1]);
    sub->allow_extras();
    sub->prefix_command();
    std::string name = verb[0];
    sub->callback([&action, name] {
      action = [name]() -> Result<int> { return Error::invalid(name + ": not implemented yet"); };
    });
  }
}

}  // namespace arca::cli
