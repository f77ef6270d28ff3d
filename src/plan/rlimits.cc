// Rlimit names -> RLIMIT_* resources.
#include <sys/resource.h>

#include <array>
#include <string_view>

#include "plan/launch.h"

namespace arca::plan {
namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr std::array<RlimitName, 16> kRlimits{{
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
}};

}  // namespace

Result<int> rlimit_number(const std::string& name) {
  for (const auto& entry : kRlimits) {
    if (entry.name == name) return entry.resource;
  }
  return Error::invalid("unknown rlimit " + quote(name));
}

}  // namespace arca::plan
