#include "lifecycle.h"

#include "base/log.h"
#include "hooks/runner.h"
#include "signals.h"

namespace arca::cli {

namespace {

spec::Hooks recorded_hooks(const state::Record& record) {
  auto hooks = hooks::from_record(record.extra);
  if (hooks) return std::move(hooks).value();
  log::warn("container " + quote(record.id) + ": " + hooks.error().render());
  return {};
}

}  // namespace

Status destroy_container(Container& c) {
  ARCA_TRY(kill_and_wait(c.record));
  // Before the state dir goes: on failure a later delete can still find the cgroups.
  ARCA_TRY(destroy_cgroups(c.record));
  ARCA_TRY(c.dir.remove());
  hooks::run_phase_warning(recorded_hooks(c.record), hooks::Phase::poststop, c.record);
  return {};
}

Status run_poststart(Container& c) {
  auto ran = hooks::run_phase(recorded_hooks(c.record), hooks::Phase::poststart, c.record);
  if (ran) return {};
  if (auto destroyed = destroy_container(c); !destroyed) log::warn(destroyed.error().render());
  return ran;
}

}  // namespace arca::cli
