// The sync channel between arca (parent) and the container's init (child).
//
// A SOCK_SEQPACKET socketpair: every send is one record, so a message is never split or
// merged, and a peer that dies shows up as end-of-file on the other side.
//
//   parent (arca)                                   child (init, or the intermediate)
//   -------------                                   ---------------------------------
//   clone3 [CLONE_INTO_CGROUP] ------------------->  [intermediate only: setns user,
//                                                     pid, ...; unshare; fork init]
//                                                   init: join the v1 cgroups ("0" to
//                                                     each `tasks` fd arca opened)
//            <---------------------------- kMapsRequest   (new user namespace)
//   write uid_map, gid_map
//   kMapsDone ------------------------------------>
//            <---------------------------- kInitPid {pid} (intermediate only)
//                                                   unshare(CLONE_NEWCGROUP)
//                                                   mounts, devices
//            <---------------------------- kHooksRequest  (hooks before the process run)
//   prestart, createRuntime hooks
//   kHooksDone {init pid} ------------------------>
//                                                   createContainer hooks
//                                                   pivot_root; process.terminal: a new
//                                                   pty, slave = stdio + ctty +
//                                                   /dev/console
//            <---------------------------- kTerminal  + the pty master fd (SCM_RIGHTS)
//   master -> --console-socket (then closed),
//   or kept for the foreground relay                the rest of the checklist
//                                                   (hostname, rlimits, user, caps, fds)
//            <---------------------------- kSeccompFd + fd  (SCMP_ACT_NOTIFY only)
//   send the fd and the container state to linux.seccomp.listenerPath
//            <---------------------------- kReady           or kError {step, errno, text}
//   oom_score_adj, state.json = created, pid file
//   kAck {start now?} ---------------------------->
//                                                   created: wait on the exec fifo
//                                                   startContainer hooks
//            <---------------------------- kStarted       or kError (`run` with
//                                                   startContainer hooks; after `start`
//                                                   the same goes to `arca start` over
//                                                   the state dir's start.sock)
//                                                   execve(process.args)
//
// kHooksRequest comes after the mounts and before pivot_root (runtime-spec: "after the
// runtime environment has been created ... before pivot_root"), and whenever any hook runs
// before the process, since the init learns its host pid (for the state on the hooks'
// stdin) only from kHooksDone. A failing createRuntime hook ends the conversation: the
// parent reports it and kills the child.
//
// The init places itself (cgroups::Placement: no parent write to cgroup.procs, whose lock
// waits for an RCU grace period). A new cgroup namespace's root is the cgroup its creator
// is in at that moment, so with cgroups the child is cloned without CLONE_NEWCGROUP and
// unshares it after joining them.
//
// End-of-file before kReady means the child died: the parent reports it and cleans up.
// End-of-file before kAck means the parent died: the child exits, leaving nothing.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace arca::process {

enum class MsgType : uint32_t {
  kMapsRequest = 1,
  kMapsDone = 2,
  kInitPid = 3,
  kReady = 4,
  kError = 5,
  kAck = 6,
  // 7 was kCgroupReady (the parent placed the init); retired, the init joins by itself.
  kHooksRequest = 8,  // child -> parent: mounts done, run prestart + createRuntime hooks
  kHooksDone = 9,     // parent -> child: they passed; value is the init's host pid
  kStarted = 10,      // child -> parent or `start`: startContainer hooks passed, exec next
  kTerminal = 11,     // child -> parent, with the pty master attached (SCM_RIGHTS)
  kSeccompFd = 12,    // child -> parent, with the seccomp listener fd attached
};

struct Message {
  MsgType type = MsgType::kReady;
  int32_t err = 0;    // errno for kError
  int64_t value = 0;  // pid for kInitPid and kHooksDone, start flag for kAck
  std::string text;   // kError: the child's message ("mount \"proc\" on \"/proc\"")
};

// Wire format: a fixed 16-byte header {type, err, value} followed by the text bytes.
constexpr size_t kMaxMessage = 4096;
std::string encode(const Message& m);
Result<Message> decode(const char* data, size_t size);
const char* to_string(MsgType type);

class SyncChannel {
 public:
  SyncChannel() = default;
  explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}
  // Both ends, close-on-exec.
  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();

  // With fd >= 0, the fd travels with the message (SCM_RIGHTS; linux/fd_passing.h).
  Status send(const Message& m, int fd = -1) const;
  // Blocks for the next message. End-of-file is an Error with code 0 and text "closed".
  // An fd attached to the message goes to *fd; without fd it is closed.
  Result<Message> receive(UniqueFd* fd = nullptr) const;
  bool closed_by_peer(const Error& e) const;
  int fd() const { return fd_.get(); }
  UniqueFd& handle() { return fd_; }

 private:
  UniqueFd fd_;
};

// The order messages may arrive in at the parent, as data a unit test can drive.
// expect() returns an error naming the unexpected message.
// `hooks`: the init must ask for the createRuntime hooks before it may be ready.
// (kStarted comes after kAck, outside this conversation: see await_start_report.)
class ParentProtocol {
 public:
  ParentProtocol(bool new_user_ns, bool intermediate, bool hooks = false, bool terminal = false)
      : want_maps_(new_user_ns),
        want_pid_(intermediate),
        want_hooks_(hooks),
        want_terminal_(terminal) {}
  Status expect(MsgType received);
  bool ready() const { return ready_; }

 private:
  bool want_maps_;
  bool want_pid_;
  bool want_hooks_;
  bool want_terminal_;
  bool seccomp_fd_ = false;
  bool ready_ = false;
};

}  // namespace arca::process
