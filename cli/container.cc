#include "container.h"

#include <signal.h>
#include <strings.h>

#include <cstdlib>

#include "cgroups/recorded.h"

namespace arca::cli {

Result<Container> open_container(const Globals& g, const std::string& id, bool lock) {
  ARCA_TRY(state::validate_id(id));
  ARCA_ASSIGN(state::StateDir dir, state::StateDir::open(g.root, id));
  if (lock) ARCA_TRY(dir.lock());
  auto loaded = dir.load();
  if (!loaded && loaded.error().code() == ENOENT) {
    // create writes state.json only once its init is ready (process/launcher.cc).
    state::Record creating;
    creating.id = id;
    return Container{std::move(dir), std::move(creating), state::Status::creating};
  }
  if (!loaded) return std::move(loaded).error();
  state::Record record = std::move(loaded).value();
  state::Status status = state::current_status(record, dir.path());
  if (status == state::Status::running || status == state::Status::created) {
    if (auto it = record.extra.find("cgroup");
        it != record.extra.end() && cgroups::recorded_frozen(*it)) {
      status = state::Status::paused;
    }
  }
  return Container{std::move(dir), std::move(record), status};
}

namespace {
struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};
}  // namespace

Result<int> parse_signal(const std::string& text) {
  auto bad = [&] { return Error::invalid("unknown signal " + quote(text)); };
  if (text.empty()) return bad();
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 3) return bad();
    int n = atoi(text.c_str());
    if (n <= 0 || n >= NSIG) return bad();
    return n;
  }
  std::string name = text;
  if (name.size() > 3 && strncasecmp(name.c_str(), "SIG", 3) == 0) name = name.substr(3);
  for (const auto& s : kSignals) {
    if (strcasecmp(name.c_str(), s.name) == 0) return s.number;
  }
  // SIGRTMIN+N / RTMIN+N / RTMAX-N
  if (strncasecmp(name.c_str(), "RTMIN", 5) == 0 || strncasecmp(name.c_str(), "RTMAX", 5) == 0) {
    bool min = strncasecmp(name.c_str(), "RTMIN", 5) == 0;
    std::string rest = name.substr(5);
    int offset = 0;
    if (!rest.empty()) {
      if ((min && rest[0] != '+') || (!min && rest[0] != '-')) return bad();
      std::string digits = rest.substr(1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
        return bad();
      }
      offset = atoi(digits.c_str());
    }
    int sig = min ? SIGRTMIN + offset : SIGRTMAX - offset;
    if (sig < SIGRTMIN || sig > SIGRTMAX) return bad();
    return sig;
  }
  return bad();
}

}  // namespace arca::cli
