// config.json -> spec::Config.
//
// Errors are one line naming the JSON pointer of the offending value and the reason
// ("/process/args: must be an array of strings"); the caller adds "config.json: ".
// Only types and required members are checked here; whether the values make sense
// together is validate_config()'s job.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "spec/config.h"

namespace arca::spec {

// Parses config.json text. Unknown members are ignored and null counts as absent.
Result<Config> parse_config(std::string_view text);

// Parses a `process` object on its own (`arca exec --process FILE`); pointers in errors
// are relative to it ("/args: must be an array of strings").
Result<Process> parse_process(std::string_view text);

// Reads and parses <bundle_dir>/config.json.
Result<Config> load_config(const std::string& bundle_dir);

}  // namespace arca::spec
