// arca: an OCI container runtime with runc's command line.
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "verbs.h"

namespace arca::cli {

std::string op(const char* verb, const std::string& id) {
  return std::string(verb) + " " + quote(id);
}

namespace {

int report(const Error& error) {
  std::string line = error.render();
  // One line, whatever a kernel or a config value put into the message.
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  log::error(line);
  fprintf(stderr, "arca: %s\n", line.c_str());
  return 1;
}

int run_main(int argc, char** argv) {
  args::Command app{"arca", "arca: an OCI container runtime (runc-compatible command line)"};
  app.set_version(std::string("arca version ") + ARCA_VERSION + "\nspec: 1.2.0");
  Globals g;
  g.argv = argv;
  app.add_option("--root", g.root, "state directory for containers")->default_text(g.root);
  app.add_option("--log", g.log, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")
      ->default_text(g.log_format);
  app.add_flag("--debug", g.debug, "log debug messages");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup,
               "use the systemd cgroup driver (a transient scope over D-Bus)");
  app.add_option("--rootless", g.rootless, "ignored; accepted for runc compatibility");
  app.add_option("--criu", "ignored; accepted for runc compatibility");

  Action action;
  add_spec(app, g, action);
  add_create_and_run(app, g, action);
  add_start(app, g, action);
  add_state_and_list(app, g, action);
  add_kill(app, g, action);
  add_delete(app, g, action);
  add_pause_resume_ps(app, g, action);
  add_features(app, g, action);
  add_update(app, g, action);
  add_events(app, g, action);
  add_exec(app, g, action);
  add_shell(app, g, action);
  add_images(app, g, action);
  add_unimplemented(app, action);

  auto parsed = args::parse(app, argc, argv);
  if (!parsed) {
    fprintf(stderr, "arca: %s\n", parsed.error().render().c_str());
    return 2;
  }
  if (*parsed == args::Parsed::kPrinted) return 0;
  // An absolute --root, as runc makes it: it is recorded (arca shell's scratch dir names
  // it) and must mean the same from any working directory.
  if (!g.root.empty() && g.root[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == nullptr) return report(Error::os("--root: getcwd"));
    g.root = std::string(cwd) + "/" + g.root;
  }
  auto format = log::parse_format(g.log_format);
  if (!format) return report(format.error());
  if (auto configured = log::configure(g.log, *format, g.debug); !configured) {
    return report(configured.error());
  }
  if (!action) return report(Error::invalid("no command given"));
  auto status = action();
  if (!status) return report(status.error());
  return *status;
}

}  // namespace
}  // namespace arca::cli

int main(int argc, char** argv) { return arca::cli::run_main(argc, argv); }
