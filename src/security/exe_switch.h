// Switching the running arca onto a read-only view of its own binary without an execve
// (the cheap way of security/exe_protection.h).
//
// A process's exe (/proc/<pid>/exe, and what a "/proc/self/exe" resolves to at execve) is
// mm->exe_file, set by execve. prctl(PR_SET_MM) replaces it, but only while no mapping of
// the old file is left. So arca maps itself again from the view: the code
// and read-only data straight from the view's file (the same inode: the same bytes and
// the same page cache), the writable segment (relocated GOT, .data) as anonymous memory
// holding the same contents; then prctl(PR_SET_MM_MAP) with the view as exe_fd. The exe
// is the view, as after a re-exec, without
// paying a second start (here a static glibc start alone costs about 1 ms of CPU: its
// cache-size probing runs ~70 cpuid instructions, each a VM exit).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace arca::security {

// One line of /proc/self/maps that maps the binary.
struct ExeMapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  int prot = 0;                // PROT_READ | PROT_WRITE | PROT_EXEC
  uint64_t offset = 0;         // into the file
  bool keep_contents = false;  // in the writable segment: its pages differ from the file
};

// Pure: the mappings of the file with device `dev` (major:minor as maps prints it, e.g.
// "fe:00") and inode `ino` in a /proc/self/maps text; those overlapping [rw_start, rw_end)
// (the binary's writable PT_LOAD, page-rounded) keep their contents. Private mappings
// only: a shared one is an error.
Result<std::vector<ExeMapping>> exe_mappings(const std::string& maps, const std::string& dev,
                                             uint64_t ino, uintptr_t rw_start, uintptr_t rw_end);

// Remaps the running binary from `view` (an O_RDONLY fd on the same file through a
// read-only mount) and makes it the exe. Needs CAP_SYS_ADMIN. An error before the
// first remap leaves everything as it was (the caller can re-execute instead); a failure
// in the middle cannot be undone and ends the process.
Status switch_exe_in_place(int view);

}  // namespace arca::security
