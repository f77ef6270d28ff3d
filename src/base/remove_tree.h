// Removing directory trees without following symlinks or crossing mount points.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"

namespace arca {

// Empties the directory open at `dir_fd` (which lives on device `dev`). Symlinks are
// unlinked, never followed; a subdirectory on another device is a mount point and is
// refused rather than emptied. `where` names the directory in errors.
Status remove_tree_contents(int dir_fd, dev_t dev, const std::string& where);

// rm -rf of `name` in `dir_fd` (or a path with AT_FDCWD) with remove_tree_contents'
// rules; absent is fine. With a real `dir_fd`, a `name` on another device (a mount
// point) is refused too.
Status remove_tree_at(int dir_fd, const std::string& name, const std::string& where);

}  // namespace arca
