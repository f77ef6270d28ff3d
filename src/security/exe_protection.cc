#include "security/exe_protection.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/log.h"
#include "base/text.h"
#include "base/unique_fd.h"
#include "security/exe_switch.h"

namespace arca::security {
namespace {

// memfd_create(MFD_EXEC) (Linux 6.3): asks for an executable memfd explicitly, which a
// vm.memfd_noexec=1 host requires; older kernels reject the flag, then it is left out.
constexpr unsigned int kMfdExec = 0x10;
// Set in the environment of the re-executed arca, so a view that somehow does not look
// protected cannot make arca re-execute itself forever.
constexpr const char* kReexecMarker = "_ARCA_PROTECTED_EXE";

bool joins_user_namespace(const plan::Launch& launch) {
  for (const auto& join : launch.joins) {
    if (join.clone_flag == CLONE_NEWUSER) return true;
  }
  return false;
}

// The running binary through a detached, read-only bind mount of the file itself
// (open_tree OPEN_TREE_CLONE + mount_setattr): no copy, the page cache is the file's, and
// an exec from it gives every later process an exe whose mount refuses writes (EROFS),
// also once the fd is gone (the exe keeps the detached mount alive). Needs the new mount
// API (Linux 5.12) and CAP_SYS_ADMIN over arca's mount namespace.
Result<UniqueFd> readonly_view_of_binary() {
  int fd = static_cast<int>(
      syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (fd < 0) return Error::os("open_tree /proc/self/exe");
  UniqueFd view(fd);
  mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (syscall(SYS_mount_setattr, view.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return Error::os("make the view of /proc/self/exe read-only");
  }
  return view;
}

Result<UniqueFd> sealed_copy_of(int exe) {
  struct stat st;
  if (fstat(exe, &st) != 0) return Error::os("stat /proc/self/exe");
  int fd = memfd_create("arca", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("arca", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Error::os("memfd_create");
  UniqueFd copy(fd);
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(copy.get(), exe, &done, static_cast<size_t>(st.st_size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::os("copy /proc/self/exe into a memfd");
  }
  // F_SEAL_WRITE makes every write (and shared writable mapping) fail, through any fd
  // anyone ever gets on it; F_SEAL_SEAL keeps the seals from being lifted.
  if (fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) !=
      0) {
    return Error::os("seal the memfd copy of arca");
  }
  return copy;
}

// The view's O_PATH fd after an in-place switch. Closing it dissolves the detached mount's
// anonymous namespace, which waits for an expedited RCU grace period (~0.26 ms of wall
// time measured here); release_binary_view() does it once the container runs.
UniqueFd& held_view() {
  static UniqueFd fd;
  return fd;
}

std::string& original_path() {
  static std::string path;
  return path;
}

std::string read_exe_link() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return "";
  return std::string(path, static_cast<size_t>(n));
}

// Forgets the marker, keeping the path it carried.
void take_marker() {
  const char* marker = getenv(kReexecMarker);
  if (marker == nullptr) return;
  original_path() = marker;
  unsetenv(kReexecMarker);
}

// The view opened for reading (an O_PATH fd can be neither mapped nor made the exe),
// then the switch; the path arca was started as is kept for binary_path().
Status switch_onto(int view) {
  UniqueFd file(open(("/proc/self/fd/" + std::to_string(view)).c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return Error::os("open the read-only view");
  std::string before = read_exe_link();
  ARCA_TRY(switch_exe_in_place(file.get()));
  original_path() = before;
  return {};
}

void name_after(const char* argv0) {
  if (argv0 == nullptr) return;
  const char* slash = strrchr(argv0, '/');
  prctl(PR_SET_NAME, slash != nullptr ? slash + 1 : argv0, 0, 0, 0);
}

}  // namespace

bool id_is_mapped(const std::string& map, unsigned long id) {
  for (const auto& line : text::lines(map)) {
    auto fields = text::words(line);
    if (fields.size() != 3) continue;
    char* end = nullptr;
    unsigned long outside = strtoul(fields[1].c_str(), &end, 10);
    if (*end != '\0') continue;
    unsigned long count = strtoul(fields[2].c_str(), &end, 10);
    if (*end != '\0') continue;
    if (id >= outside && id - outside < count) return true;
  }
  return false;
}

std::string binary_exposure(const plan::Launch& launch, const BinaryFacts& binary) {
  if (binary.readonly_mount) return "";
  if (!launch.new_user_ns) return "the container shares arca's user namespace";
  if (joins_user_namespace(launch)) return "the container joins a user namespace";
  if (id_is_mapped(launch.uid_map, binary.uid)) {
    return "the binary's owner " + std::to_string(binary.uid) + " is mapped into the container";
  }
  if ((binary.mode & S_IWGRP) && id_is_mapped(launch.gid_map, binary.gid)) {
    return "the binary's group " + std::to_string(binary.gid) +
           " may write it and is mapped into the container";
  }
  if (binary.mode & S_IWOTH) return "the binary is writable by others";
  return "";
}

Result<BinaryFacts> running_binary_facts() {
  struct stat st;
  if (stat("/proc/self/exe", &st) != 0) return Error::os("stat /proc/self/exe");
  struct statvfs vfs;
  if (statvfs("/proc/self/exe", &vfs) != 0) return Error::os("statfs /proc/self/exe");
  BinaryFacts facts;
  facts.uid = st.st_uid;
  facts.gid = st.st_gid;
  facts.mode = st.st_mode & 07777;
  facts.readonly_mount = (vfs.f_flag & ST_RDONLY) != 0;
  return facts;
}

bool running_from_sealed_copy() {
  UniqueFd exe(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!exe.valid()) return false;
  int seals = fcntl(exe.get(), F_GET_SEALS);
  return seals >= 0 && (seals & F_SEAL_WRITE) != 0;
}

Status reexec_protected(char* const argv[], const std::string& why) {
  if (getenv(kReexecMarker) != nullptr) {
    return Error::invalid(
        "re-executed from a protected view of arca, but /proc/self/exe is "
        "still writable");
  }
  // Preferred: the file itself through a read-only mount. Otherwise (an older kernel, or
  // no CAP_SYS_ADMIN over the mount namespace) a sealed memfd copy.
  auto view = readonly_view_of_binary();
  // ARCA_EXE_PROTECTION=reexec skips the in-place move (the tests attack both ways).
  const char* mode = getenv("ARCA_EXE_PROTECTION");
  if (view && (mode == nullptr || strcmp(mode, "reexec") != 0)) {
    // Cheapest: no exec at all, the running image moved onto the view (exe_switch.h).
    auto switched = switch_onto(view->get());
    if (switched) {
      log::debug("running from a read-only view of arca (CVE-2019-5736): " + why);
      held_view() = std::move(*view);
      return {};
    }
    log::debug("cannot switch onto the read-only view in place (" + switched.error().render() +
               "): re-executing");
  }
  const char* how = "a read-only view";
  if (!view) {
    log::debug("no read-only view of arca (" + view.error().render() + "): copying it");
    UniqueFd exe(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!exe.valid()) return Error::os("open /proc/self/exe");
    view = sealed_copy_of(exe.get());
    if (!view) return std::move(view).error();
    how = "a sealed copy";
  }
  log::debug(std::string("re-executing from ") + how + " of arca (CVE-2019-5736): " + why);
  setenv(kReexecMarker, read_exe_link().c_str(), 1);
  // The fd is close-on-exec: fine for an ELF binary, which the kernel has mapped before
  // the fd table is cleaned up.
  syscall(SYS_execveat, view->get(), "", argv, environ, AT_EMPTY_PATH);
  int err = errno;
  unsetenv(kReexecMarker);
  // vm.memfd_noexec=2 forbids executing any memfd: a binary on a read-only mount needs no
  // copy at all.
  return Error(err, std::string("re-execute arca from ") + how +
                        (err == EACCES ? " (executable memfds refused? a read-only mount of "
                                         "the binary avoids the copy)"
                                       : ""));
}

void release_binary_view() { held_view().reset(); }

std::string binary_path() {
  if (!original_path().empty()) return original_path();
  if (const char* marker = getenv(kReexecMarker)) return marker;
  return read_exe_link();
}

Status protect_binary(const plan::Launch& launch, char* const argv[]) {
  if (getenv(kReexecMarker) != nullptr) {
    // Re-executed: an exec through an fd names the process after the fd's number.
    name_after(argv[0]);
    if (running_from_sealed_copy()) {
      take_marker();
      return {};
    }
  }
  ARCA_ASSIGN(BinaryFacts facts, running_binary_facts());
  std::string why = binary_exposure(launch, facts);
  if (why.empty()) {
    take_marker();
    return {};
  }
  auto status = reexec_protected(argv, why);
  if (!status) return std::move(status).error().context("protect the arca binary");
  return {};
}

}  // namespace arca::security
