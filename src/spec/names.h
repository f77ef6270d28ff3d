// Names the runtime-spec uses for kernel constants, shared by validation and planning.
#pragma once

#include <span>
#include <string_view>

namespace arca::spec {

// Capability names in linux/capability.h order: the index is the capability number.
// Kept here rather than taken from libcap so the mapping does not depend on the build
// host's headers.
std::span<const std::string_view> capability_names();
// The capability's number, or -1 for an unknown name.
int capability_index(std::string_view name);

// RLIMIT_* names with their resource numbers.
struct RlimitName {
  std::string_view name;
  int resource;
};
std::span<const RlimitName> rlimit_names();
// The resource number, or -1 for an unknown name.
int rlimit_resource(std::string_view name);

}  // namespace arca::spec
