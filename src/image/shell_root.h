// The scratch directory of one `arca shell` and the copy-on-write root in it.
//
// <shells>/<id>/ holds upper/ and work/ (the overlay's) and root/ (its mount point), plus
// `state-root` naming the --root the container's state lives under. The arca running the
// shell holds an flock on the directory for its whole life.
//
// Nothing may outlive a shell, even one that is SIGKILLed:
// - the overlay is mounted in a private mount namespace of the arca process (the host
//   never sees it) and the container's mount namespace is a copy of that one, so the
//   kernel drops the overlay once arca and the container are gone;
// - the container dies with arca (the init keeps PR_SET_PDEATHSIG, process/init.h);
// - what remains on disk (this directory, the state dir, the cgroups) is removed by the
//   arca that runs the shell, or, when that one was killed, by the next `arca shell`: a
//   scratch directory whose lock is free belongs to a dead shell (stale()).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::image {

class ShellRoot {
 public:
  // Creates and locks <shells_dir>/<id>; "already exists" when a live shell has it.
  static Result<ShellRoot> create(const std::string& shells_dir, const std::string& id,
                                  const std::string& state_root);
  // Scratch directories of dead shells, each locked by us now.
  static Result<std::vector<ShellRoot>> stale(const std::string& shells_dir);
  // The image cache keys that running shells use (pin_image), for `arca images prune`.
  static std::set<std::string> images_in_use(const std::string& shells_dir);

  ShellRoot(ShellRoot&&) = default;
  ShellRoot& operator=(ShellRoot&&) = default;

  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  std::string root() const { return path_ + "/root"; }
  // The --root recorded at create (empty when unreadable).
  std::string state_root() const;

  // Records the cache entry this shell runs on: prune leaves it alone while we live.
  Status pin_image(const std::string& key);

  // Moves this process into a private mount namespace (its mounts propagate nowhere)
  // and mounts an overlay of `lower` (read-only base) on root().
  Status mount_overlay(const std::string& lower);
  // Unmounts root() (if mounted) and removes the scratch directory.
  Status remove();

 private:
  ShellRoot() = default;
  std::string id_;
  std::string path_;
  UniqueFd parent_;  // <shells>
  UniqueFd dir_;     // holds the flock
  bool mounted_ = false;  // the overlay, in our private mount namespace
};

}  // namespace arca::image
