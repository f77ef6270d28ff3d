// Decoders for the config.json sections, shared by the parse_*.cc files. Internal to
// src/spec; use parse.h.
#pragma once

#include <string>

#include "base/error.h"
#include "spec/config.h"
#include "spec/json_reader.h"

namespace arca::spec {

// Common to several sections.
Status decode(const json& v, const std::string& ptr, IdMapping* out);

// parse_process.cc
Status decode(const json& v, const std::string& ptr, Process* out);

// parse_linux.cc
Status decode(const json& v, const std::string& ptr, Linux* out);

}  // namespace arca::spec
