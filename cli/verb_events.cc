// events: the container's cgroup statistics (runc's JSON shape) once with --stats, or every
// --interval together with OOM notifications until the container stops. Single-threaded:
// a sleep loop polls the recorded cgroup.
#include <time.h>

#include <cerrno>
#include <cstdio>

#include "cgroups/recorded_manager.h"
#include "container.h"

namespace arca::cli {

namespace {

using nlohmann::json;

struct EventsOptions {
  std::string id;
  bool stats = false;
  std::string interval = "5s";
};

Status print_event(const char* type, const std::string& id, const json* data) {
  json e = {{"type", type}, {"id", id}};
  if (data != nullptr) e["data"] = *data;
  // One object per line, flushed: a consumer reads the stream as it comes.
  if (printf("%s\n", e.dump().c_str()) < 0 || fflush(stdout) != 0) {
    return Error::os("write event");
  }
  return {};
}

bool alive(state::Status s) {
  return s == state::Status::created || s == state::Status::running || s == state::Status::paused;
}

void sleep_ms(uint64_t ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

Result<int> events(const Globals& g, const EventsOptions& o) {
  ARCA_ASSIGN(uint64_t interval_ms, cgroups::parse_duration_ms(o.interval));
  ARCA_ASSIGN(Container c, open_container(g, o.id, false));
  if (!alive(c.status)) {
    return Error::invalid(std::string("container is ") + state::to_string(c.status));
  }
  auto it = c.record.extra.find("cgroup");
  if (it == c.record.extra.end()) return Error::invalid("the container has no cgroup");
  const json paths = *it;
  if (o.stats) {
    ARCA_ASSIGN(json data, cgroups::recorded_stats(paths));
    ARCA_TRY(print_event("stats", o.id, &data));
    return 0;
  }
  // An OOM is reported when the kill count grows between two looks; polling on the
  // interval (at most one second apart) keeps this a single thread without eventfds.
  std::optional<uint64_t> ooms = cgroups::recorded_oom_kills(paths);
  const uint64_t tick_ms = interval_ms < 1000 ? interval_ms : 1000;
  uint64_t since_stats_ms = interval_ms;  // first stats right away
  for (;;) {
    auto now = open_container(g, o.id, false);
    if (!now || !alive(now->status)) return 0;  // stopped or deleted: the stream ends
    std::optional<uint64_t> count = cgroups::recorded_oom_kills(paths);
    if (count && (!ooms || *count > *ooms)) {
      if (ooms) ARCA_TRY(print_event("oom", o.id, nullptr));
      ooms = count;
    }
    if (since_stats_ms >= interval_ms) {
      auto data = cgroups::recorded_stats(paths);
      if (data) ARCA_TRY(print_event("stats", o.id, &*data));
      since_stats_ms = 0;
    }
    sleep_ms(tick_ms);
    since_stats_ms += tick_ms;
  }
}

}  // namespace

void add_events(args::Command& app, Globals& g, Action& action) {
  static EventsOptions o;
  auto* sub = app.add_subcommand("events", "container statistics and events");
  sub->add_flag("--stats", o.stats, "print the statistics once and exit");
  sub->add_option("--interval", o.interval, "statistics interval (Go duration, e.g. 5s)")
      ->default_text(o.interval);
  sub->add_option("id", o.id, "container id")->required();
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = events(g, o);
      if (!r) return std::move(r).error().context(op("events", o.id));
      return r;
    };
  });
}

}  // namespace arca::cli
