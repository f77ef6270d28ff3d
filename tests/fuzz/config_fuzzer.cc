// libFuzzer target: config.json text through every pure layer arca runs before it
// creates anything: parse_config -> validate_config -> make_launch -> compile_seccomp.
//
// Properties checked (anything else is found by ASan/UBSan):
//   * no exception escapes (errors are values in this code base);
//   * every Error renders to exactly one non-empty line.
// Build and run with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/log.h"
#include "plan/launch.h"
#include "security/seccomp.h"
#include "spec/parse.h"
#include "validate/validate.h"

namespace {

void check_error(const char* stage, const arca::Error& e) {
  std::string line = e.render();
  if (line.empty() || line.find('\n') != std::string::npos) {
    std::fprintf(stderr, "config_fuzzer: %s error does not render to one non-empty line: [%s]\n",
                 stage, line.c_str());
    std::abort();
  }
}

void run(std::string_view text) {
  auto config = arca::spec::parse_config(text);
  if (!config) {
    check_error("parse_config", config.error());
    return;
  }
  // The bundle does not exist: a relative root.path fails to stat, an absolute one
  // usually does too; both are ordinary errors.
  auto valid = arca::validate::validate_config(*config, "/nonexistent-bundle");
  if (!valid) check_error("validate_config", valid.error());
  // validate_config stops at the first failure, usually the root check; run every check on
  // every input so the later ones are reached too.
  for (const auto& check : arca::validate::checks()) {
    auto ok = check.run(*config, "/nonexistent-bundle");
    if (!ok) check_error(check.name, ok.error());
  }
  // make_launch must cope with unvalidated input as well (exec and tests call it directly).
  auto launch = arca::plan::make_launch(*config, "/bundle");
  if (!launch) check_error("make_launch", launch.error());
  if (config->linux.seccomp) {
    auto prog = arca::security::compile_seccomp(*config->linux.seccomp,
                                                config->process.no_new_privileges);
    if (!prog) check_error("compile_seccomp", prog.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // compile_seccomp warns about unknown syscall names; keep the fuzzer's output readable.
  if (!arca::log::configure("/dev/null", arca::log::Format::text, false)) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    run(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config_fuzzer: uncaught exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "config_fuzzer: uncaught non-std exception\n");
    std::abort();
  }
  return 0;
}
