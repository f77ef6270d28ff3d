// File operations on a cgroup tree, shared by the v1 and v2 backends (internal).
//
// In imitation mode the tree is a plain directory tree standing in for cgroupfs (unit
// tests): a new directory gets empty copies of its parent's files (cgroup.controllers
// gets the parent's cgroup.subtree_control, as the kernel does), and removal unlinks the
// files first. On a real cgroupfs none of that is done or needed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::cgroups {

class CgroupFs {
 public:
  explicit CgroupFs(bool imitation) : imitation_(imitation) {}
  bool imitation() const { return imitation_; }

  // Creates `dir` and missing parents below `base` (which must exist); appends the
  // directories it made, top-down, to *created.
  Status make_dirs(const std::string& base, const std::string& dir,
                   std::vector<std::string>* created) const;
  // Writes `value` to dir/file (O_WRONLY|O_TRUNC, never creating the file).
  Status write(const std::string& dir, const std::string& file, const std::string& value) const;
  Result<std::string> read(const std::string& dir, const std::string& file) const;
  bool exists(const std::string& path) const;
  // Removes `dir` and its sub-cgroups bottom-up (rmdir, retried while busy). Absent is ok.
  Status remove_tree(const std::string& dir) const;
  // cgroup2: adds `controller` to at/cgroup.subtree_control unless it is there (an
  // imitation tree is written the whole set, as the kernel shows it on read).
  Status enable_controller(const std::string& at, const std::string& controller) const;
  // The pids in dir/cgroup.procs and in every sub-cgroup's, sorted and unique.
  Result<std::vector<pid_t>> procs(const std::string& dir) const;

 private:
  Status remove_one(const std::string& dir) const;
  // Imitation only: a new directory gets empty copies of its parent's files.
  Status imitate_new_cgroup(const std::string& dir) const;
  bool imitation_;
};

// Writes values into control files keeping the last one open, so that consecutive values
// for one file (devices.allow takes one rule per write(), io.max one device) cost one
// open. An imitation tree reopens and truncates every time, as separate writes would.
// Errors read as CgroupFs::write's. Short-lived: keep none across a clone.
class ControlWriter {
 public:
  explicit ControlWriter(const CgroupFs& fs) : fs_(fs) {}
  Status write(const std::string& dir, const std::string& file, const std::string& value);

 private:
  const CgroupFs& fs_;
  std::string path_;
  UniqueFd fd_;
};

// The first line of a value, without surrounding whitespace.
std::string trim(const std::string& s);

// An O_RDONLY|O_DIRECTORY fd of a cgroup directory (clone3's CLONE_INTO_CGROUP takes one).
Result<UniqueFd> open_dir(const std::string& dir);

}  // namespace arca::cgroups
