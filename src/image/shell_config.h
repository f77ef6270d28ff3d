// `arca shell` flags -> spec::Config, built in memory and then validated and planned like
// any config.json (cli/bundle.h), so the shell has no second way to start a container.
//
// Pure: everything read from the host (the image's /etc/passwd, the host's environment
// for `-e NAME`, the memory size, the env files' text) comes in through ShellInputs, and
// the checks that need the file system (volume sources exist) are the caller's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "image/image_config.h"
#include "spec/config.h"

namespace arca::image {

// The flags as given on the command line.
struct ShellOptions {
  std::vector<std::string> command;  // after the options / "--"; empty: the image's
  std::string hostname;              // empty: the generated name
  std::vector<std::string> env;      // -e K=V or -e K (the host's value)
  std::string workdir;               // -w
  std::string user;                  // -u UID[:GID] or NAME[:GROUP]
  std::string memory;                // "512m"; empty: the default
  std::string cpus;                  // "1.5"; empty: no limit
  std::optional<int64_t> pids_limit;
  std::string net = "none";  // none | host
  bool read_only = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
};

// A parsed -v SRC:DST[:ro|rw]; the caller makes the source absolute and checks it exists.
struct Volume {
  std::string source;
  std::string destination;
  bool read_only = false;
};
Result<Volume> parse_volume(const std::string& text);

// What the shell learns from the host and the image before building the config.
struct ShellInputs {
  std::string rootfs;  // absolute: the container's root (overlay mount or a directory)
  std::string name;    // container id; the default hostname
  ImageConfig image;
  std::string passwd;        // the image's /etc/passwd ("" when absent)
  std::string group;         // the image's /etc/group
  std::string term;          // the host's TERM ("" when unset)
  bool terminal = false;     // stdin is a terminal: process.terminal
  uint64_t host_memory = 0;  // bytes of RAM; 0 when unknown
  // The env files' text, in order, with their names for messages.
  std::vector<std::pair<std::string, std::string>> env_files;
  // Looks up the host's environment for `-e NAME` without a value.
  std::function<std::optional<std::string>(const std::string&)> host_env;
  std::vector<Volume> volumes;  // sources absolute and existing
  std::map<std::string, std::string> annotations;
  bool resolv_conf = false;  // the host has /etc/resolv.conf (bound with --net host)
};

// "K=V" lines; blank lines and lines starting with '#' are skipped; "K" alone takes the
// host's value (or is dropped when the host has none), as docker does.
Result<std::vector<std::string>> parse_env_file(const std::string& text);

// "1000", "1000:100", "name", "name:group" against the image's passwd/group text.
struct UserIds {
  uint32_t uid = 0;
  uint32_t gid = 0;
};
Result<UserIds> resolve_user(const std::string& spec, const std::string& passwd,
                             const std::string& group);

// The defaults a shell gets without flags: a pids limit that stops a fork bomb before it
// hurts the host, half the host's memory, and Docker's default capability set.
inline constexpr int64_t kDefaultPidsLimit = 1024;
const std::vector<std::string>& default_capabilities();

// The whole config as config.json text (what `exec` later reads from the state dir), and
// parsed.
Result<std::string> make_shell_config_text(const ShellOptions& options, const ShellInputs& inputs);
Result<spec::Config> make_shell_config(const ShellOptions& options, const ShellInputs& inputs);

}  // namespace arca::image
