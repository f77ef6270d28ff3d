// spec and features.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/unique_fd.h"
#include "spec/default_config.h"
#include "verbs.h"

namespace arca::cli {

namespace {

struct SpecOptions {
  std::string bundle;
  bool rootless = false;
};

Result<int> write_spec(const SpecOptions& o) {
  std::string dir = o.bundle.empty() ? "." : o.bundle;
  std::string path = dir + "/config.json";
  std::string text = spec::default_config_json(o.rootless).dump(2) + "\n";
  // O_EXCL: never overwrite a config the user already has (runc refuses too).
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Error::invalid(quote(path) + " exists: remove it first");
    return Error::os("create " + quote(path));
  }
  UniqueFd closer(fd);
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return Error::os("write " + quote(path));
  }
  return 0;
}

}  // namespace

void add_spec(args::Command& app, Globals&, Action& action) {
  static SpecOptions o;
  auto* sub = app.add_subcommand("spec", "write a default config.json into the bundle");
  sub->add_option("-b,--bundle", o.bundle, "bundle directory (default: current directory)");
  sub->add_flag("--rootless", o.rootless, "a config for a rootless container");
  sub->callback([&] {
    action = [&]() -> Result<int> {
      auto r = write_spec(o);
      if (!r) return std::move(r).error().context("spec");
      return r;
    };
  });
}

}  // namespace arca::cli
