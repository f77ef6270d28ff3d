#include "bundle.h"

#include <climits>
#include <cstdlib>

#include "base/log.h"
#include "linux/syscalls.h"
#include "security/lsm.h"
#include "spec/parse.h"
#include "validate/validate.h"

namespace arca::cli {

Result<Bundle> load_bundle(const std::string& dir) {
  std::string given = dir.empty() ? "." : dir;
  char resolved[PATH_MAX];
  if (realpath(given.c_str(), resolved) == nullptr) return Error::os("bundle " + quote(given));
  ARCA_ASSIGN(std::string text, linux_sys::read_file(std::string(resolved) + "/config.json"));
  return bundle_from_text(std::move(text), resolved);
}

Result<Bundle> bundle_from_text(std::string text, const std::string& dir) {
  Bundle b;
  b.dir = dir;
  b.config_text = std::move(text);
  auto config = spec::parse_config(b.config_text);
  if (!config) return std::move(config).error().context("config.json");
  b.config = std::move(config).value();
  if (auto valid = validate::validate_config(b.config, b.dir); !valid) {
    return std::move(valid).error().context("config.json");
  }
  ARCA_TRY(security::check_lsm_config(b.config));
  auto launch = plan::make_launch(b.config, b.dir);
  if (!launch) return std::move(launch).error().context("config.json");
  b.launch = std::move(launch).value();
  if (b.config.linux.seccomp) {
    auto program = security::compile_seccomp(*b.config.linux.seccomp, b.launch.no_new_privileges);
    if (!program) return std::move(program).error().context("config.json");
    b.seccomp = std::move(program).value();
  }
  return b;
}

}  // namespace arca::cli
