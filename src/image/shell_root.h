// The scratch directory of one `arca shell` and the copy-on-write root in it.
//
// <shells>/<id>/ holds upper/ and work/ (the overlay's) and root/ (its mount point), plus
// `state-root` naming the --root the container's state lives under. The arca running the
// shell holds an flock on the directory for its whole life.
//
// Nothing may outlive a shell, even one that is SIGKILLed:
// - the overlay is mounted by the container's init, in the container's own mount
//   namespace (plan::Launch::rootfs_overlay): the host never sees it, and the kernel
//   drops it with the container's last process; no arca process has to unmount anything
//   (which would cost an RCU grace period of wall time on every exit);
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
#include "plan/launch.h"

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

  // Creates upper/, work/ and root/ for an overlay of `lower` (the read-only base) on
  // root(), for the init to mount. Overlay options cannot carry ',' ':' or '\\' in paths:
  // such a `lower` is refused.
  Result<plan::Launch::OverlayRoot> make_overlay(const std::string& lower);
  // Removes the scratch directory.
  Status remove();

 private:
  ShellRoot() = default;
  std::string id_;
  std::string path_;
  UniqueFd parent_;  // <shells>
  UniqueFd dir_;     // holds the flock
};

}  // namespace arca::image
