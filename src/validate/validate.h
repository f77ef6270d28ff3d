// Semantic checks of a parsed config.json before anything is created.
//
// parse_config() guarantees types; these checks guarantee the values make sense together
// (absolute paths, known names, namespaces that the requested features need), so a bad
// config fails at `create` with one clear line instead of half-way through container set
// up. Each message names the JSON pointer of the offending value:
//   /linux/namespaces/2: duplicate namespace "pid"
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "spec/config.h"

namespace arca::validate {

// Runs every check in order and returns the first failure. `bundle_dir` resolves a
// relative root.path, which must exist and be a directory.
Status validate_config(const spec::Config& config, const std::string& bundle_dir);

// One named check, for tests and diagnostics.
struct Check {
  const char* name;
  Status (*run)(const spec::Config& config, const std::string& bundle_dir);
};
// The checks validate_config() runs, in order.
const std::vector<Check>& checks();

}  // namespace arca::validate
