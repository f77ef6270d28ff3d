// The runtime-spec seccomp names and their libseccomp / kernel values. One table per kind
// so compilation and `arca features` cannot disagree about what is supported.
#pragma once

#include <seccomp.h>

#include <cstdint>
#include <span>
#include <string_view>

namespace arca::security::seccomp_tables {

struct Action {
  std::string_view name;
  uint32_t value;    // for ERRNO/TRACE the base, the 16-bit data is OR'd in
  bool takes_errno;  // errnoRet (default EPERM) becomes the action's data
};

struct Operator {
  std::string_view name;
  scmp_compare value;
};

struct Arch {
  std::string_view name;
  uint32_t token;  // SCMP_ARCH_* (an AUDIT_ARCH_* value)
};

struct Flag {
  std::string_view name;
  unsigned int value;  // SECCOMP_FILTER_FLAG_*
};

std::span<const Action> actions();
std::span<const Operator> operators();
std::span<const Arch> archs();
std::span<const Flag> flags();

// Linear lookups; the tables are short. nullptr when unknown.
const Action* find_action(std::string_view name);
const Operator* find_operator(std::string_view name);
const Arch* find_arch(std::string_view name);
const Flag* find_flag(std::string_view name);

}  // namespace arca::security::seccomp_tables
