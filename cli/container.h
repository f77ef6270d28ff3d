// Looking up an existing container for the verbs that act on one.
#pragma once

#include <string>

#include "state/state.h"
#include "verbs.h"

namespace arca::cli {

struct Container {
  state::StateDir dir;
  state::Record record;
  state::Status status = state::Status::stopped;
};

// Validates the id, opens (and with `lock`, locks) its state dir, loads state.json and
// works out the status right now.
Result<Container> open_container(const Globals& g, const std::string& id, bool lock);

// Parses "KILL", "SIGKILL", "9" (case-insensitive names).
Result<int> parse_signal(const std::string& text);

}  // namespace arca::cli
