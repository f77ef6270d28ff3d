// arca shell: a throw-away container on the built-in root or any image, in one command.
//
// The flags become a spec::Config in memory (image/shell_config.h) that goes through the
// same validate -> plan -> create/start/wait path as `arca run` (run_foreground). The
// shell adds only its root: a copy-on-write overlay over a read-only base, which the init
// mounts instead of binding the root onto itself, in a scratch directory that goes away
// with the shell (image/shell_root.h says how, also on SIGKILL).
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

#include "base/log.h"
#include "base/text.h"
#include "bundle.h"
#include "container.h"
#include "image/cache.h"
#include "image/files.h"
#include "image/resolve.h"
#include "image/shell_config.h"
#include "image/shell_root.h"
#include "lifecycle.h"
#include "linux/syscalls.h"
#include "rootfs/resolve.h"
#include "security/exe_protection.h"
#include "state/state.h"
#include "verbs.h"

#ifndef ARCA_DATADIR
#define ARCA_DATADIR "/usr/local/share/arca"
#endif

namespace arca::cli {

namespace {

struct ShellFlags {
  image::ShellOptions options;
  std::vector<std::string> volumes;
  std::vector<std::string> env_files;
  std::string rootfs;
  std::string image;
  std::string name;
  std::string cache_dir;
  std::string pids_limit;  // parsed here: "not given" must stay distinguishable
  bool rw = false;
};

std::string generated_name() {
  unsigned char bytes[3] = {};
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    auto pid = static_cast<unsigned>(getpid());
    bytes[0] = static_cast<unsigned char>(pid);
    bytes[1] = static_cast<unsigned char>(pid >> 8);
    bytes[2] = static_cast<unsigned char>(pid >> 16);
  }
  char text[16];
  snprintf(text, sizeof text, "shell-%02x%02x%02x", bytes[0], bytes[1], bytes[2]);
  return text;
}

uint64_t host_memory() {
  auto meminfo = linux_sys::read_file("/proc/meminfo");
  if (!meminfo) return 0;
  for (const auto& line : text::lines(*meminfo)) {
    auto words = text::words(line);
    if (words.size() >= 2 && words[0] == "MemTotal:")
      return strtoull(words[1].c_str(), nullptr, 10) * 1024;
  }
  return 0;
}

// A file of the image, read inside its root: a symlink in the image cannot make us read
// the host's file instead.
std::string read_in_root(const std::string& root, const std::string& path) {
  UniqueFd dir(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return "";
  auto fd = rootfs::open_in_root(dir.get(), path, O_RDONLY);
  if (!fd) return "";
  auto text = image::read_all(fd->get(), 1 << 20, quote(path));
  return text ? *text : "";
}

// Everything from the host the config is built from, checked before anything exists.
Result<image::ShellInputs> gather_inputs(const ShellFlags& f, const image::ResolvedRoot& root) {
  image::ShellInputs in;
  in.image = root.config;
  in.passwd = read_in_root(root.path, "/etc/passwd");
  in.group = read_in_root(root.path, "/etc/group");
  const char* term = getenv("TERM");
  in.term = term != nullptr ? term : "";
  in.terminal = isatty(STDIN_FILENO) == 1;  // a pty relayed in the foreground, else pipes
  in.host_memory = host_memory();
  in.host_env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  in.resolv_conf = access("/etc/resolv.conf", R_OK) == 0;
  for (const auto& file : f.env_files) {
    UniqueFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Error::os("--env-file " + quote(file));
    ARCA_ASSIGN(std::string text, image::read_all(fd.get(), 1 << 20, "--env-file " + quote(file)));
    in.env_files.emplace_back(file, std::move(text));
  }
  for (const auto& spec : f.volumes) {
    ARCA_ASSIGN(image::Volume v, image::parse_volume(spec));
    char resolved[PATH_MAX];
    if (realpath(v.source.c_str(), resolved) == nullptr) {
      return Error::os("--volume " + quote(spec) + ": source " + quote(v.source));
    }
    v.source = resolved;
    in.volumes.push_back(std::move(v));
  }
  return in;
}

// Whether the container a dead shell ran is gone now (destroyed here if it was left):
// only then may its scratch dir go, the one record that points at the container's state
// dir and cgroups.
bool shell_container_gone(const Globals& g, const image::ShellRoot& shell) {
  // The state root is written before any container exists: without it nothing was made.
  if (shell.state_root().empty()) return true;
  Globals where = g;
  where.root = shell.state_root();
  if (access((where.root + "/" + shell.id()).c_str(), F_OK) != 0 && errno == ENOENT) return true;
  auto c = open_container(where, shell.id(), true);
  if (!c) {
    log::warn("stale shell " + quote(shell.path()) + ": " + c.error().render());
    return false;
  }
  // A later container that took the name means ours is gone; a create that died before
  // state.json (no record yet) is ours: the lock is ours now, nobody else is creating it.
  auto it = c->record.annotations.find("arca.shell.scratch");
  bool ours = it != c->record.annotations.end() && it->second == shell.path();
  if (!ours && c->status != state::Status::creating) return true;
  if (auto s = destroy_container(*c); !s) {
    log::warn("stale shell " + quote(shell.path()) + ": " + s.error().render());
    return false;
  }
  return true;
}

// Shells whose arca died (SIGKILL, a crash): their container died with it (pdeathsig);
// remove the state dir, cgroups and scratch directory they left. A scratch dir whose
// container could not be removed stays for the next shell to try again.
void collect_stale_shells(const Globals& g, const std::string& shells_dir) {
  auto stale = image::ShellRoot::stale(shells_dir);
  if (!stale) {
    log::warn("stale shells: " + stale.error().render());
    return;
  }
  for (auto& shell : *stale) {
    if (!shell_container_gone(g, shell)) continue;
    if (auto s = shell.remove(); !s) log::warn("stale shell: " + s.error().render());
  }
}

Result<image::ResolvedRoot> resolve(const ShellFlags& f, const std::string& work) {
  if (f.rootfs.empty()) {
    if (!f.image.empty()) return Error::invalid("--image needs --rootfs (an image archive)");
    ARCA_ASSIGN(std::string path, image::builtin_root(security::binary_path(), ARCA_DATADIR));
    image::ResolvedRoot root;
    root.path = path;
    return root;
  }
  image::RootRequest request;
  request.source = f.rootfs;
  request.image = f.image;
  request.cache_dir = work + "/images";
  request.progress = isatty(STDERR_FILENO) == 1;
  return image::resolve_root(request);
}

Result<int> run_shell(const Globals& g, ShellFlags& f) {
  // First, before anything exists that a re-exec would leave behind: the shell's
  // container has no user namespace, so it could write the binary (security.md).
  ARCA_TRY(security::protect_binary(plan::Launch{}, g.argv));
  if (!f.pids_limit.empty()) {
    char* end = nullptr;
    errno = 0;
    long long n = strtoll(f.pids_limit.c_str(), &end, 10);
    if (*end != '\0' || errno != 0) {
      return Error::invalid("--pids-limit " + quote(f.pids_limit) + ": not a number");
    }
    f.options.pids_limit = n;
  }
  std::string id = f.name.empty() ? generated_name() : f.name;
  ARCA_TRY(state::validate_id(id));
  const std::string work = image::work_dir(f.cache_dir);
  collect_stale_shells(g, work + "/shells");
  ARCA_ASSIGN(image::ResolvedRoot base, resolve(f, work));
  if (f.rw && !base.plain_dir) return Error::invalid("--rw needs a directory --rootfs");
  ARCA_ASSIGN(image::ShellInputs inputs, gather_inputs(f, base));
  inputs.name = id;

  ARCA_ASSIGN(image::ShellRoot scratch, image::ShellRoot::create(work + "/shells", id, g.root));
  auto result = [&]() -> Result<int> {
    if (!base.digest.empty()) ARCA_TRY(scratch.pin_image(base.digest));
    base.cache_lock.reset();  // pinned: prune now sees the entry as in use
    std::optional<plan::Launch::OverlayRoot> overlay;
    if (!f.rw) {
      ARCA_ASSIGN(overlay, scratch.make_overlay(base.path));
    }
    inputs.rootfs = f.rw ? base.path : scratch.root();
    inputs.annotations["arca.shell.scratch"] = scratch.path();
    if (!base.digest.empty()) inputs.annotations["arca.shell.image"] = base.digest;
    ARCA_ASSIGN(std::string config, image::make_shell_config_text(f.options, inputs));
    ARCA_ASSIGN(Bundle bundle, bundle_from_text(std::move(config), scratch.path()));
    bundle.launch.rootfs_overlay = overlay;
    return run_foreground(g, id, bundle, true);
  }();
  if (auto removed = scratch.remove(); !removed) {
    if (result) return std::move(removed).error();
    log::warn(removed.error().render());
  }
  return result;
}

}  // namespace

void add_shell(args::Command& app, Globals& g, Action& action) {
  static ShellFlags f;
  auto* s = app.add_subcommand(
      "shell",
      "run COMMAND (default: the image's, else /bin/sh) in a throw-away container on the\n"
      "built-in root or an image. The first operand starts the command; its options are\n"
      "its own (`arca shell ls -l`). The container gets its own pid, mount, ipc, uts and\n"
      "(unless --net host) network namespaces, a clean environment (PATH, TERM, HOME,\n"
      "HOSTNAME, the image's Env, -e), Docker's default capabilities and the limits below.\n"
      "Its root is a copy-on-write overlay over the base; everything (overlay, state,\n"
      "cgroups) is removed when it exits, also when arca is killed.");
  auto& o = f.options;
  s->add_option("--rootfs", f.rootfs,
                "root: a directory, a tarball (.tar[.gz|.xz|.zst]), an OCI layout or archive, "
                "or a docker save archive (default: the built-in busybox root)");
  s->add_option("--image", f.image, "which image of a multi-image archive (name:tag)");
  s->add_option("--name", f.name, "container id, for arca list/kill/exec (default: generated)");
  s->add_option("--hostname", o.hostname, "hostname (default: the container id)");
  s->add_option("-e,--env", o.env, "set NAME=VALUE, or pass the host's NAME");
  s->add_option("--env-file", f.env_files, "read NAME=VALUE lines from a file");
  s->add_option("-v,--volume", f.volumes, "bind host SRC on DST: SRC:DST[:ro]");
  s->add_option("-w,--workdir", o.workdir, "working directory (default: the image's, else /)");
  s->add_option("-u,--user", o.user, "UID[:GID] or NAME[:GROUP] (default: the image's, else 0)");
  s->add_option("--memory", o.memory, "memory limit: 512m, 2g (default: half the host's RAM)");
  s->add_option("--cpus", o.cpus, "CPU limit: 0.5, 2 (default: none)");
  s->add_option("--pids-limit", f.pids_limit, "most processes at once, -1 = no limit")
      ->default_text(std::to_string(image::kDefaultPidsLimit));
  s->add_option("--net", o.net, "none (own network namespace, loopback up) or host")
      ->default_text(o.net);
  s->add_flag("--read-only", o.read_only, "make the root read-only");
  s->add_option("--cap-add", o.cap_add, "add a capability (NET_ADMIN, ALL)");
  s->add_option("--cap-drop", o.cap_drop, "drop a capability (NET_RAW, ALL)");
  s->add_flag("--rw", f.rw, "write into a directory --rootfs instead of a throw-away overlay");
  s->add_option("--cache-dir", f.cache_dir,
                "image cache and scratch space (default: $ARCA_CACHE_DIR, else /var/lib/arca)");
  s->add_option("command", o.command, "the command and its arguments");
  s->operands_end_flags();
  s->callback([&g, &action] {
    action = [&g]() -> Result<int> {
      auto r = run_shell(g, f);
      if (!r) return std::move(r).error().context("shell");
      return r;
    };
  });
}

}  // namespace arca::cli
