#include "process/hook_points.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "hooks/runner.h"

namespace arca::process {

namespace {

// Through the dir fd: <root>/<id>/start.sock may be longer than sun_path allows.
sockaddr_un start_address(int dir_fd) {
  sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/start.sock", dir_fd);
  return addr;
}

// Every queued connection gets the outcome: one is the live `start` (it holds the state
// dir's lock, so there is only one), others were left by a `start` that died after
// connecting and get nothing out of it.
void report_to_start(int listener, const Message& m) {
  for (;;) {
    int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;  // EAGAIN: none left (the listener is non-blocking)
    (void)SyncChannel(UniqueFd(conn)).send(m);
  }
}

}  // namespace

Status run_hooks_before_pivot(const SyncChannel& channel, InitHooks& h) {
  ARCA_TRY(channel.send({MsgType::kHooksRequest, 0, 0, {}}));
  auto reply = channel.receive();
  // End-of-file: arca died, or a createRuntime hook failed and it is about to kill us.
  if (!reply) _exit(1);
  if (reply->type != MsgType::kHooksDone) {
    return Error::invalid(std::string("sync: expected hooks-done, got ") + to_string(reply->type));
  }
  h.record.pid = static_cast<pid_t>(reply->value);
  return hooks::run_phase(*h.hooks, hooks::Phase::create_container, h.record, h.container_env);
}

Status run_start_hooks(const SyncChannel* run_channel, InitHooks& h,
                       const std::vector<std::string>& env) {
  if (h.hooks->start_container.empty()) return {};
  auto ran = hooks::run_phase(*h.hooks, hooks::Phase::start_container, h.record, &env);
  Message m{MsgType::kStarted, 0, 0, {}};
  if (!ran) m = {MsgType::kError, ran.error().code(), 0, ran.error().message()};
  if (run_channel != nullptr) (void)run_channel->send(m);
  if (h.start_listener >= 0) report_to_start(h.start_listener, m);
  return ran;
}

Status answer_hooks_request(const SyncChannel& channel, const InitHooks& h, pid_t init) {
  state::Record record = h.record;
  record.pid = init;
  ARCA_TRY(hooks::run_phase(*h.hooks, hooks::Phase::prestart, record));
  ARCA_TRY(hooks::run_phase(*h.hooks, hooks::Phase::create_runtime, record));
  return channel.send({MsgType::kHooksDone, 0, init, {}});
}

Result<UniqueFd> listen_for_start(int dir_fd, int min_fd) {
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Error::os("socket");
  sockaddr_un addr = start_address(dir_fd);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error::os("bind start.sock");
  }
  if (listen(fd.get(), 8) != 0) return Error::os("listen start.sock");
  if (fd.get() < min_fd) {
    int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, min_fd);
    if (moved < 0) return Error::os("move start.sock fd");
    fd.reset(moved);
  }
  return fd;
}

Result<SyncChannel> connect_for_start(int dir_fd) {
  // Non-blocking connect: a full queue fails at once instead of hanging `start`.
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Error::os("socket");
  sockaddr_un addr = start_address(dir_fd);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return SyncChannel();
    return Error::os("connect start.sock");
  }
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return Error::os("fcntl start.sock");
  }
  return SyncChannel(std::move(fd));
}

Status await_start_report(const SyncChannel& channel) {
  auto msg = channel.receive();
  if (!msg) {
    if (channel.closed_by_peer(msg.error())) {
      return Error::invalid("container init exited before it started");
    }
    return std::move(msg).error();
  }
  if (msg->type == MsgType::kError) return Error(msg->err, msg->text).context("container init");
  if (msg->type != MsgType::kStarted) {
    return Error::invalid(std::string("sync: expected started, got ") + to_string(msg->type));
  }
  return {};
}

}  // namespace arca::process
