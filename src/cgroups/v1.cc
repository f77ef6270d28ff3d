// The cgroup v1 backend, also used on hybrid hosts (where the controller-less cgroup2
// hierarchy gets the cgroup too, so the container is tracked there like everything else).
#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/text.h"
#include "cgroups/fs.h"
#include "cgroups/manager.h"
#include "cgroups/v1_files.h"
#include "cgroups/v2_files.h"

namespace arca::cgroups {
namespace {

struct Dir {
  std::vector<std::string> controllers;  // empty: the hybrid cgroup2 hierarchy
  std::string base;                      // root_prefix + mount point
  std::string path;                      // below base, "/a/id"
  std::string full() const { return base + path; }
};

// CFQ files and their BFQ twins, for kernels without CFQ (all current ones).
const char* bfq_twin(const std::string& file) {
  if (file == "blkio.weight") return "blkio.bfq.weight";
  if (file == "blkio.weight_device") return "blkio.bfq.weight_device";
  return nullptr;
}

bool optional_file(const std::string& file) {
  // Kernel memory limits are gone from current kernels; runc ignores them too.
  return file.rfind("memory.kmem.", 0) == 0;
}

class V1Manager : public Manager {
 public:
  V1Manager(const HostCgroups& host, const CgroupsPath& path, const ManagerOptions& options)
      : fs_(options.imitation), mode_(host.mode) {
    for (const auto& h : host.v1) {
      dirs_.push_back({h.controllers, options.root_prefix + h.mount_point, resolve(path, h)});
    }
    if (host.unified) {
      dirs_.push_back(
          {{}, options.root_prefix + host.unified->mount_point, resolve(path, *host.unified)});
    }
  }

  Mode mode() const override { return mode_; }

  Status create() override {
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      std::vector<std::string> created;
      Status made = fs_.make_dirs(it->base, it->full(), &created);
      if (!made && unwritable(made.error())) {
        // A hierarchy we may not write to (mounted read-only for us, as in a jail or a
        // nested container) is left out, as crun does; a resource that needs it then
        // fails in apply() naming the controller.
        unavailable_.push_back(std::move(*it));
        it = dirs_.erase(it);
        continue;
      }
      ARCA_TRY(std::move(made));
      if (std::count(it->controllers.begin(), it->controllers.end(), "cpuset") > 0) {
        ARCA_TRY(inherit_cpuset(created));
      }
      ++it;
    }
    return {};
  }

  Status apply(const Resources& resources) override {
    Resources in_v1 = resources;
    if (resources.devices_best_effort && find("devices") == nullptr) in_v1.devices.reset();
    Resources in_unified = take_unified_part(&in_v1);
    ARCA_ASSIGN(std::vector<Write> writes, v1_writes(in_v1));
    ARCA_ASSIGN(std::vector<Write> unified_writes, v2_writes(in_unified));
    ControlWriter out(fs_);
    for (size_t i = 0; i < writes.size(); ++i) {
      const Write& w = writes[i];
      // Raising the memory limit above the current memory+swap limit is refused; then
      // memsw goes first.
      bool memsw_next = i + 1 < writes.size() && w.file == "memory.limit_in_bytes" &&
                        writes[i + 1].file == "memory.memsw.limit_in_bytes";
      Status s = write(w, &out);
      if (!s && memsw_next && s.error().code() == EINVAL) {
        ARCA_TRY(write(writes[i + 1], &out));
        s = write(w, &out);
        ++i;
      }
      ARCA_TRY(std::move(s));
    }
    return write_unified(unified_writes);
  }

  Status add_process(pid_t pid) override {
    for (const auto& d : dirs_) ARCA_TRY(fs_.write(d.full(), "cgroup.procs", std::to_string(pid)));
    return {};
  }

  Status destroy() override {
    Status first;
    for (const auto& d : dirs_) {
      Status s = fs_.remove_tree(d.full());
      if (!s && first) first = std::move(s);
    }
    return first;
  }

  Result<std::vector<pid_t>> pids() override {
    const Dir* d = find("pids");
    if (d == nullptr) d = find("devices");
    if (d == nullptr && !dirs_.empty()) d = &dirs_.front();
    if (d == nullptr) return Error::invalid("no cgroup hierarchy to list processes from");
    return fs_.procs(d->full());
  }

  Status freeze(bool frozen) override {
    const Dir* d = find("freezer");
    if (d == nullptr) return Error::invalid("cgroup v1 controller \"freezer\" is not mounted");
    const std::string want = frozen ? "FROZEN" : "THAWED";
    for (int attempt = 0; attempt < 1000; ++attempt) {
      // Writing FROZEN again nudges a freezer stuck in FREEZING.
      if (attempt % 10 == 0) ARCA_TRY(fs_.write(d->full(), "freezer.state", want));
      ARCA_ASSIGN(std::string state, fs_.read(d->full(), "freezer.state"));
      if (trim(state) == want) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Error(EBUSY, "freezer.state in " + quote(d->full()) + " did not become " + want);
  }

  std::string path_for_ns() const override {
    return dirs_.empty() ? std::string("/") : dirs_.front().path;
  }

  std::map<std::string, std::string> paths() const override {
    std::map<std::string, std::string> out;
    for (const auto& d : dirs_) {
      if (d.controllers.empty()) out[""] = d.full();
      for (const auto& c : d.controllers) out[c] = d.full();
    }
    return out;
  }

  Result<UniqueFd> open_v2_dir() const override {
    return Error::invalid(std::string("no cgroup v2 directory on a ") + mode_name(mode_) +
                          " host; use add_process()");
  }

  Result<Placement> open_placement() const override {
    Placement p;
    for (const auto& d : dirs_) {
      if (d.controllers.empty()) {
        ARCA_ASSIGN(p.v2_dir, open_dir(d.full()));
        continue;
      }
      std::string tasks = d.full() + "/tasks";
      UniqueFd fd(::open(tasks.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd.valid()) return Error::os("open " + quote(tasks));
      p.tasks.push_back(std::move(fd));
    }
    return p;
  }

 private:
  const Dir* find(const std::string& controller) const {
    for (const auto& d : dirs_) {
      if (std::count(d.controllers.begin(), d.controllers.end(), controller) > 0) return &d;
    }
    return nullptr;
  }

  // A new cpuset cgroup starts with empty cpus and mems and takes no process until they
  // are set; give each directory we created its parent's.
  Status inherit_cpuset(const std::vector<std::string>& created) const {
    for (const auto& dir : created) {
      std::string parent = dir.substr(0, dir.rfind('/'));
      // (With the parent's cgroup.clone_children set they are there already; writing them
      // again is harmless and cheaper than reading first.)
      for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        ARCA_ASSIGN(std::string theirs, fs_.read(parent, file));
        ARCA_TRY(fs_.write(dir, file, trim(theirs)));
      }
    }
    return {};
  }

  Status write(const Write& w, ControlWriter* out) const {
    const Dir* d = find(w.controller);
    for (const auto& u : unavailable_) {
      if (d == nullptr && std::count(u.controllers.begin(), u.controllers.end(), w.controller)) {
        return Error(EROFS, "cgroup v1 controller " + quote(w.controller) + " at " + quote(u.base) +
                                " is not writable (needed for " + w.file + ")");
      }
    }
    if (d == nullptr) {
      return Error::invalid("cgroup v1 controller " + quote(w.controller) +
                            " is not mounted (needed for " + w.file + ")");
    }
    // Written first, asked about after a failure: one path lookup less per value.
    Status s = out->write(d->full(), w.file, w.value);
    if (s) return {};
    if (s.error().code() != ENOENT || fs_.exists(d->full() + "/" + w.file)) {
      return std::move(s).error().context("cgroup v1");
    }
    return write_missing(*d, w, out);
  }

  // w.file is not in d: its BFQ twin, a file current kernels dropped, or an error.
  Status write_missing(const Dir& d, const Write& w, ControlWriter* out) const {
    const std::string& file = w.file;
    const char* twin = bfq_twin(file);
    if (twin != nullptr && fs_.exists(d.full() + "/" + twin)) {
      Status s = out->write(d.full(), twin, w.value);
      if (!s) return std::move(s).error().context("cgroup v1");
      return {};
    }
    if (optional_file(file) || (file == "memory.memsw.limit_in_bytes" && w.value == "-1")) {
      return {};
    }
    if (file == "memory.memsw.limit_in_bytes") {
      return Error::invalid(std::string(kResourcesPointer) +
                            "/memory/swap: the kernel does not account swap "
                            "(memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)");
    }
    return Error(ENOENT, "cgroup v1: " + quote(d.full() + "/" + file) +
                             " does not exist (is the kernel built with it?)");
  }

  const Dir* unified() const {
    for (const auto& d : dirs_) {
      if (d.controllers.empty()) return &d;
    }
    return nullptr;
  }

  bool unified_offers(const std::string& controller) const {
    const Dir* u = unified();
    if (u == nullptr || find(controller) != nullptr) return false;
    auto offered = fs_.read(u->base, "cgroup.controllers");
    if (!offered) return false;
    auto all = text::words(*offered);
    return std::find(all.begin(), all.end(), controller) != all.end();
  }

  // A hybrid host may keep a controller in its cgroup2 tree instead of a v1 hierarchy (this
  // machine's hugetlb): moves the resources of such controllers out of *r, to be written
  // there with v2's file names. Only what a container asks for is moved, so the cgroup2
  // tree's controllers are enabled only when needed.
  Resources take_unified_part(Resources* r) const {
    Resources out;
    if (!r->hugepage_limits.empty() && unified_offers("hugetlb")) {
      std::swap(out.hugepage_limits, r->hugepage_limits);
    }
    if (!r->rdma.empty() && unified_offers("rdma")) std::swap(out.rdma, r->rdma);
    return out;
  }

  // Enables each controller the writes need in cgroup.subtree_control from the hierarchy
  // root down to the container's parent, then writes into the container's cgroup2 dir.
  Status write_unified(const std::vector<Write>& writes) const {
    const Dir* u = unified();
    if (writes.empty() || u == nullptr) return {};
    for (const auto& w : writes) {
      std::string at = u->base;
      for (const auto& part : text::split(u->path, '/')) {
        if (part.empty()) continue;
        if (auto s = fs_.enable_controller(at, w.controller); !s) {
          return std::move(s).error().context("enable cgroup v2 controller " + quote(w.controller) +
                                              " (hybrid host)");
        }
        at += "/" + part;
      }
      Status s = fs_.write(u->full(), w.file, w.value);
      if (!s) return std::move(s).error().context("cgroup v2 (hybrid host)");
    }
    return {};
  }

  static bool unwritable(const Error& e) {
    return e.code() == EROFS || e.code() == EACCES || e.code() == EPERM;
  }

  CgroupFs fs_;
  Mode mode_;
  std::vector<Dir> dirs_;
  std::vector<Dir> unavailable_;  // hierarchies create() could not write to
};

}  // namespace

std::unique_ptr<Manager> make_v1_manager(const HostCgroups& host, const CgroupsPath& path,
                                         const ManagerOptions& options) {
  return std::make_unique<V1Manager>(host, path, options);
}

}  // namespace arca::cgroups
