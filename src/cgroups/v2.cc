// The cgroup v2 backend.
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "base/log.h"
#include "base/text.h"
#include "cgroups/device_bpf.h"
#include "cgroups/device_policy.h"
#include "cgroups/fs.h"
#include "cgroups/manager.h"
#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

std::set<std::string> words(const std::string& s) {
  auto list = text::words(s);
  return {list.begin(), list.end()};
}

class V2Manager : public Manager {
 public:
  V2Manager(const HostCgroups& host, const CgroupsPath& path, const ManagerOptions& options)
      : fs_(options.imitation),
        base_(options.root_prefix + host.unified->mount_point),
        path_(resolve(path, *host.unified)) {}

  Mode mode() const override { return Mode::kV2; }

  Status create() override {
    // Each ancestor's subtree_control must hold a controller for the leaf to have it;
    // enable them on the way down, before making the next level.
    std::string at = base_;
    for (const std::string& part : text::split(path_, '/')) {
      if (part.empty()) continue;
      ARCA_TRY(enable_controllers(at));
      std::vector<std::string> created;
      ARCA_TRY(fs_.make_dirs(at, at + "/" + part, &created));
      at += "/" + part;
    }
    return {};
  }

  Status apply(const Resources& resources) override {
    ARCA_ASSIGN(std::vector<Write> writes, v2_writes(resources));
    // cgroup v2 has no device files: the rules become an eBPF program on the cgroup. An
    // imitation tree has no kernel behind it to attach to.
    if (resources.devices && !fs_.imitation()) {
      ARCA_ASSIGN(UniqueFd fd, open_v2_dir());
      Status s =
          install_device_program(fd.get(), device_program(device_policy(*resources.devices)));
      if (!s && resources.devices_best_effort &&
          (s.error().code() == EPERM || s.error().code() == EACCES)) {
        // No eBPF for us (a nested container without CAP_BPF, say): the config asked for
        // no device rules, so go on without runc's defaults.
        log::debug("cgroup v2: default device rules not applied: " + s.error().render());
      } else if (!s) {
        return std::move(s).error().context("cgroup v2: /linux/resources/devices");
      }
    }
    if (writes.empty()) return {};
    ARCA_ASSIGN(std::string text, fs_.read(dir(), "cgroup.controllers"));
    std::set<std::string> available = words(text);
    ControlWriter out(fs_);
    for (const auto& w : writes) {
      bool is_unified = resources.unified.count(w.file) > 0;
      std::string what = is_unified ? "linux.resources.unified " + quote(w.file) : w.file;
      if (w.controller != "cgroup" && available.count(w.controller) == 0) {
        return Error::invalid("cgroup v2 controller " + quote(w.controller) +
                              " is not available in " + quote(dir()) + " (needed for " + what +
                              ")");
      }
      Status s = out.write(dir(), w.file, w.value);
      if (!s && s.error().code() == ENOENT && !fs_.exists(dir() + "/" + w.file)) {
        return Error(ENOENT, "cgroup v2: " + what + ": no such file in " + quote(dir()));
      }
      if (!s) return std::move(s).error().context("cgroup v2");
    }
    return {};
  }

  Status add_process(pid_t pid) override {
    return fs_.write(dir(), "cgroup.procs", std::to_string(pid));
  }

  Status destroy() override { return fs_.remove_tree(dir()); }

  Result<std::vector<pid_t>> pids() override { return fs_.procs(dir()); }

  Status freeze(bool frozen) override {
    ARCA_TRY(fs_.write(dir(), "cgroup.freeze", frozen ? "1" : "0"));
    if (fs_.imitation()) return {};  // nothing there to report "frozen"
    const std::string want = frozen ? "frozen 1" : "frozen 0";
    for (int attempt = 0; attempt < 1000; ++attempt) {
      ARCA_ASSIGN(std::string events, fs_.read(dir(), "cgroup.events"));
      for (const std::string& line : text::lines(events)) {
        if (line == want) return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Error(EBUSY, "cgroup.events in " + quote(dir()) + " did not report " + want);
  }

  std::string path_for_ns() const override { return path_; }

  std::map<std::string, std::string> paths() const override { return {{"", dir()}}; }

  Result<UniqueFd> open_v2_dir() const override { return open_dir(dir()); }

  Result<Placement> open_placement() const override {
    Placement p;
    ARCA_ASSIGN(p.v2_dir, open_dir(dir()));
    return p;
  }

 private:
  std::string dir() const { return base_ + path_; }

  // Enables, one by one, the controllers `at` offers but does not yet delegate. One that
  // cannot be enabled is left out; apply() names it if a resource needs it.
  // A non-root cgroup that holds processes (typically our own) is left alone: the kernel
  // would accept only the threaded controllers there, which makes it a thread root and
  // every new cgroup below it "domain invalid", refusing processes (EOPNOTSUPP).
  Status enable_controllers(const std::string& at) const {
    if (!fs_.imitation() && fs_.exists(at + "/cgroup.type")) {  // no cgroup.type on the root
      auto procs = fs_.read(at, "cgroup.procs");
      if (procs && procs->find_first_not_of(" \n") != std::string::npos) return {};
    }
    ARCA_ASSIGN(std::string offered, fs_.read(at, "cgroup.controllers"));
    for (const auto& c : words(offered)) {
      Status s = fs_.enable_controller(at, c);
      if (!s && fs_.imitation()) return s;  // on a kernel, best effort (see above)
    }
    return {};
  }

  CgroupFs fs_;
  std::string base_;
  std::string path_;
};

}  // namespace

std::unique_ptr<Manager> make_v2_manager(const HostCgroups& host, const CgroupsPath& path,
                                         const ManagerOptions& options) {
  return std::make_unique<V2Manager>(host, path, options);
}

}  // namespace arca::cgroups
