// The individual checks behind validate_config(). Internal to src/validate.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

#include "base/error.h"
#include "spec/config.h"

namespace arca::validate {

// "pointer: reason" as an invalid-input Error.
Error fail(const std::string& pointer, const std::string& reason);
// pointer + "/" + index.
std::string at(const std::string& pointer, std::size_t index);
bool is_absolute(const std::string& path);
// True when `name` is one of `names`.
template <std::size_t N>
bool known(const std::string_view (&names)[N], const std::string& name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// validate.cc
Status check_oci_version(const spec::Config& c, const std::string& bundle);
Status check_root(const spec::Config& c, const std::string& bundle);
Status check_mounts(const spec::Config& c, const std::string& bundle);
Status check_hooks(const spec::Config& c, const std::string& bundle);

// validate_process.cc
Status check_process(const spec::Config& c, const std::string& bundle);
Status check_capabilities(const spec::Config& c, const std::string& bundle);
Status check_rlimits(const spec::Config& c, const std::string& bundle);
Status check_scheduling(const spec::Config& c, const std::string& bundle);

// validate_linux.cc
Status check_namespaces(const spec::Config& c, const std::string& bundle);
Status check_id_mappings(const spec::Config& c, const std::string& bundle);
Status check_time_offsets(const spec::Config& c, const std::string& bundle);
Status check_host_names(const spec::Config& c, const std::string& bundle);
Status check_devices(const spec::Config& c, const std::string& bundle);
Status check_rootfs_propagation(const spec::Config& c, const std::string& bundle);
Status check_unsupported(const spec::Config& c, const std::string& bundle);
Status check_personality(const spec::Config& c, const std::string& bundle);
Status check_sysctl(const spec::Config& c, const std::string& bundle);
Status check_path_lists(const spec::Config& c, const std::string& bundle);

}  // namespace arca::validate
