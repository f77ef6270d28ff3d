// Verbs of runc's command line that later work implements: a clear error until then.
#include "verbs.h"

namespace arca::cli {

void add_unimplemented(args::Command& app, Action& action) {
  static const char* const kVerbs[][2] = {
      {"checkpoint", "checkpoint a container (not supported)"},
      {"restore", "restore a container (not supported)"},
  };
  for (const auto& verb : kVerbs) {
    auto* sub = app.add_subcommand(verb[0], verb[1]);
    static std::vector<std::string> ignored;
    sub->add_option("args", ignored, "ignored");
    sub->operands_end_flags();
    std::string name = verb[0];
    sub->callback([&action, name] {
      action = [name]() -> Result<int> { return Error::invalid(name + ": not implemented yet"); };
    });
  }
}

}  // namespace arca::cli
