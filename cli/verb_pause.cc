// pause, resume and ps: the verbs that work on the container's recorded cgroup.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "base/text.h"
#include "cgroups/recorded.h"
#include "container.h"

namespace arca::cli {

namespace {

Result<nlohmann::json> recorded_cgroup(const Container& c) {
  auto it = c.record.extra.find("cgroup");
  if (it == c.record.extra.end()) return Error::invalid("the container has no cgroup");
  return *it;
}

Result<int> pause_or_resume(const Globals& g, const std::string& id, bool pause) {
  ARCA_ASSIGN(Container c, open_container(g, id, true));
  state::Status want = pause ? state::Status::running : state::Status::paused;
  if (c.status != want) {
    return Error::invalid(std::string("container is ") + state::to_string(c.status) + ", not " +
                          state::to_string(want));
  }
  ARCA_ASSIGN(nlohmann::json cgroup, recorded_cgroup(c));
  ARCA_TRY(cgroups::freeze_recorded(cgroup, pause));
  return 0;
}

struct PsOptions {
  std::string id;
  std::string format = "table";
  std::vector<std::string> ps_args;
};

// Output of `ps ARGS`, run as a child with our stdout replaced by a pipe.
Result<std::string> run_ps(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error::os("pipe");
  pid_t pid = fork();
  if (pid < 0) return Error::os("fork ps");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> argv{const_cast<char*>("ps")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp("ps", argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::invalid("ps exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  return out;
}

// runc's table: ps's own header, then its lines whose PID column is the container's.
Status print_ps_table(const std::vector<pid_t>& pids, const std::vector<std::string>& args) {
  ARCA_ASSIGN(std::string out, run_ps(args.empty() ? std::vector<std::string>{"-ef"} : args));
  auto lines = text::lines(out);
  if (lines.empty()) return {};
  auto titles = text::words(lines[0]);
  size_t column = std::find(titles.begin(), titles.end(), "PID") - titles.begin();
  printf("%s\n", lines[0].c_str());
  std::set<pid_t> wanted(pids.begin(), pids.end());
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = text::words(lines[i]);
    if (fields.empty()) continue;
    const std::string& field = fields[std::min(column, fields.size() - 1)];
    if (wanted.count(static_cast<pid_t>(atoi(field.c_str())))) printf("%s\n", lines[i].c_str());
  }
  return {};
}

Result<int> ps(const Globals& g, const PsOptions& o) {
  if (o.format != "table" && o.format != "json") {
    return Error::invalid("--format: unknown format " + quote(o.format) + " (table or json)");
  }
  ARCA_ASSIGN(Container c, open_container(g, o.id, false));
  if (c.status == state::Status::stopped) return Error::invalid("container is stopped");
  ARCA_ASSIGN(nlohmann::json cgroup, recorded_cgroup(c));
  ARCA_ASSIGN(std::vector<pid_t> pids, cgroups::recorded_pids(cgroup));
  if (o.format == "json") {
    printf("%s\n", nlohmann::json(pids).dump().c_str());
    return 0;
  }
  ARCA_TRY(print_ps_table(pids, o.ps_args));
  return 0;
}

void add_freeze_verb(args::Command& app, Globals& g, Action& action, bool pause) {
  static std::string ids[2];
  std::string& id = ids[pause ? 0 : 1];
  const char* name = pause ? "pause" : "resume";
  auto* sub = app.add_subcommand(
      name, pause ? "freeze every process of a container" : "thaw a paused container");
  sub->add_option("id", id, "container id")->required();
  sub->callback([&g, &action, &id, pause, name] {
    action = [&g, &id, pause, name]() -> Result<int> {
      auto r = pause_or_resume(g, id, pause);
      if (!r) return std::move(r).error().context(op(name, id));
      return r;
    };
  });
}

}  // namespace

void add_pause_resume_ps(args::Command& app, Globals& g, Action& action) {
  add_freeze_verb(app, g, action, true);
  add_freeze_verb(app, g, action, false);
  static PsOptions o;
  auto* sub = app.add_subcommand("ps", "list the processes of a container");
  sub->add_option("-f,--format", o.format, "table or json")->default_text(o.format);
  sub->add_option("id", o.id, "container id")->required();
  sub->add_option("ps-args", o.ps_args, "options for ps (default -ef)");
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = ps(g, o);
      if (!r) return std::move(r).error().context(op("ps", o.id));
      return r;
    };
  });
}

}  // namespace arca::cli
