// Capability and rlimit names -> numbers, with errors that name them.
#include "plan/launch.h"
#include "spec/names.h"

namespace arca::plan {

Result<int> capability_number(const std::string& name) {
  int n = spec::capability_index(name);
  if (n < 0) return Error::invalid("unknown capability " + quote(name));
  return n;
}

std::vector<std::string> capability_names() {
  auto names = spec::capability_names();
  return {names.begin(), names.end()};
}

Result<int> rlimit_number(const std::string& name) {
  int n = spec::rlimit_resource(name);
  if (n < 0) return Error::invalid("unknown rlimit " + quote(name));
  return n;
}

}  // namespace arca::plan
