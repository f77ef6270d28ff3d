// CVE-2019-5736: the container must never get a writable handle on the host's arca binary.
//
// Every process arca forks (the init, the intermediate) runs the arca binary until it calls
// execve, so /proc/<pid>/exe of those processes names that binary. Two ways lead there from
// inside a container:
//
//  1. Self-exec. The init's final execve resolves a "/proc/self/exe" in the container (as
//     args[0], a "#!/proc/self/exe" script or an ELF interpreter) against its own exe: the
//     container process then *is* the host binary, dumpable again after execve, and any
//     process in the container can open /proc/<pid>/exe with O_PATH, wait until no arca
//     runs (ETXTBSY ends) and reopen it for writing through /proc/self/fd/N. Non-dumpable
//     does nothing here: execve resets it. This needs no capability at all, only write
//     permission on the file, which container root without a user namespace has.
//  2. ptrace access. While the init (or `exec`'s process) is still arca, another process
//     that can see it (a shared or joined pid namespace) opens /proc/<pid>/exe. The init
//     is non-dumpable, so that needs CAP_SYS_PTRACE in the init's mm->user_ns, which stays
//     the host's user namespace for a process forked from arca; a container granted
//     CAP_SYS_PTRACE without a user namespace has exactly that.
//
// The mitigation: when the container could write the binary at all, arca re-executes
// itself before it forks anything from a view of the binary that refuses writes, so every
// later /proc/<pid>/exe names that view and never the writable file: the same file through
// a detached read-only bind mount of it (EROFS; no copy, the page cache is shared), or
// where the new mount API is missing, a sealed memfd copy (F_SEAL_WRITE: EPERM). When the
// container cannot write the binary (a read-only mount, or a user namespace that maps
// neither the file's owner nor, for a group-writable file, its group), nothing is done and
// nothing is paid. The read-only view is sound against a container without CAP_SYS_ADMIN
// over the host's user namespace (with it, a container can clone the mount read-write, and
// can mount the host's disks anyway).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "plan/launch.h"

namespace arca::security {

// What decides whether a container could write the running binary.
struct BinaryFacts {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
  bool readonly_mount = false;  // statfs ST_RDONLY: open(O_WRONLY) fails with EROFS
};

// Pure. Returns why a process of the container could open the binary for writing, or ""
// when it cannot. Without a user namespace of its own (none, or one joined by path whose
// maps arca does not know) container root is host root for file permissions. In a new
// user namespace only mapped ids can own files or override permissions: the file's owner
// must be unmapped, and a group-writable file's group too, and others may not write.
std::string binary_exposure(const plan::Launch& launch, const BinaryFacts& binary);

// Whether `id` (an id outside the namespace) is in an id-map text "inside outside count".
bool id_is_mapped(const std::string& map, unsigned long id);

// Facts about /proc/self/exe.
Result<BinaryFacts> running_binary_facts();

// True when this process already runs from a sealed memfd copy.
bool running_from_sealed_copy();

// Re-executes the running arca from a protected view (read-only view, else sealed copy)
// with the same argv and environment. Returns only on error. `why` goes to the debug log.
Status reexec_protected(char* const argv[], const std::string& why);

// Closes what the protection still holds (the view's fd: closing it waits for an RCU grace
// period, so `run` and `exec` do it once the container's process runs, off the start-up
// path; otherwise it happens at exit).
void release_binary_view();

// The path arca was started as: /proc/self/exe names a detached view after the re-exec
// ("/"), so the path from before it (carried in the environment) is kept.
std::string binary_path();

// The whole decision for create/run (and exec): looks at the binary, and when the
// container could write it, calls reexec_protected(). After the re-exec the view is on a
// read-only mount (or sealed), so the same decision says there is nothing to do.
Status protect_binary(const plan::Launch& launch, char* const argv[]);

}  // namespace arca::security
