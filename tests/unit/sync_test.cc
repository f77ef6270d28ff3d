#include "process/sync.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace arca::process {
namespace {

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST(SyncCodec, RoundTripsEveryField) {
  Message m{MsgType::kError, 2, -7, "mount \"proc\" on \"/proc\""};
  std::string wire = encode(m);
  auto back = decode(wire.data(), wire.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, MsgType::kError);
  EXPECT_EQ(back->err, 2);
  EXPECT_EQ(back->value, -7);
  EXPECT_EQ(back->text, m.text);
}

TEST(SyncCodec, TruncatesOverlongText) {
  Message m{MsgType::kError, 0, 0, std::string(10000, 'x')};
  EXPECT_EQ(encode(m).size(), kMaxMessage);
}

TEST(SyncCodec, RejectsShortAndUnknown) {
  EXPECT_EQ(decode("abc", 3).error().render(), "sync: short message");
  Message m{MsgType::kAck, 0, 0, {}};
  std::string wire = encode(m);
  wire[0] = 42;
  EXPECT_EQ(decode(wire.data(), wire.size()).error().render(), "sync: unknown message type 42");
}

TEST(SyncChannel, CarriesMessagesAndReportsPeerDeath) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [a, b] = *pair;
  ASSERT_TRUE(a.send({MsgType::kReady, 0, 0, {}}).ok());
  auto got = b.receive();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->type, MsgType::kReady);
  a.handle().reset();
  auto eof = b.receive();
  ASSERT_FALSE(eof.ok());
  EXPECT_TRUE(b.closed_by_peer(eof.error()));
}

TEST(SyncChannel, CarriesAnFd) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [a, b] = *pair;
  UniqueFd null(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(a.send({MsgType::kSeccompFd, 0, 0, {}}, null.get()).ok());
  ASSERT_TRUE(a.send({MsgType::kReady, 0, 0, {}}, null.get()).ok());
  UniqueFd got;
  auto m = b.receive(&got);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, MsgType::kSeccompFd);
  ASSERT_TRUE(got.valid());
  struct stat sent, received;  // the same open file: /dev/null's device
  ASSERT_EQ(fstat(null.get(), &sent), 0);
  ASSERT_EQ(fstat(got.get(), &received), 0);
  EXPECT_EQ(received.st_rdev, sent.st_rdev);
  // Without a place for it, an attached fd is closed rather than left open.
  size_t before = open_fds();
  auto plain = b.receive();
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->type, MsgType::kReady);
  EXPECT_EQ(open_fds(), before);
}

TEST(ParentProtocol, SeccompFdOnceAfterTheNamespaces) {
  ParentProtocol p(true, false);
  EXPECT_EQ(p.expect(MsgType::kSeccompFd).error().render(),
            "sync: unexpected seccomp-fd before the namespaces were set up");
  ASSERT_TRUE(p.expect(MsgType::kMapsRequest).ok());
  EXPECT_TRUE(p.expect(MsgType::kSeccompFd).ok());
  EXPECT_EQ(p.expect(MsgType::kSeccompFd).error().render(), "sync: unexpected seccomp-fd twice");
  EXPECT_TRUE(p.expect(MsgType::kReady).ok());
}

TEST(ParentProtocol, DirectCloneWithoutUserNamespace) {
  ParentProtocol p(false, false);
  EXPECT_TRUE(p.expect(MsgType::kReady).ok());
  EXPECT_TRUE(p.ready());
  EXPECT_EQ(p.expect(MsgType::kReady).error().render(), "sync: unexpected ready after ready");
}

TEST(ParentProtocol, UserNamespaceNeedsMapsBeforeReady) {
  ParentProtocol p(true, false);
  EXPECT_EQ(p.expect(MsgType::kReady).error().render(),
            "sync: unexpected ready before the namespaces were set up");
  ParentProtocol q(true, false);
  EXPECT_TRUE(q.expect(MsgType::kMapsRequest).ok());
  EXPECT_EQ(q.expect(MsgType::kMapsRequest).error().render(),
            "sync: unexpected maps-request (no new user namespace)");
}

TEST(ParentProtocol, IntermediateSendsPidAfterMaps) {
  ParentProtocol p(true, true);
  EXPECT_EQ(p.expect(MsgType::kInitPid).error().render(),
            "sync: unexpected init-pid before the id maps were written");
  ParentProtocol q(true, true);
  EXPECT_TRUE(q.expect(MsgType::kMapsRequest).ok());
  EXPECT_TRUE(q.expect(MsgType::kInitPid).ok());
  EXPECT_TRUE(q.expect(MsgType::kReady).ok());
}

TEST(ParentProtocol, ErrorIsAcceptedAnywhereAndChildMessagesOnly) {
  ParentProtocol p(true, true);
  EXPECT_TRUE(p.expect(MsgType::kError).ok());
  EXPECT_FALSE(p.expect(MsgType::kAck).ok());
  EXPECT_EQ(p.expect(MsgType::kMapsDone).error().render(),
            "sync: unexpected maps-done (parent-to-child message)");
}

TEST(SyncCodec, RejectsTheRetiredCgroupReadyType) {
  // 7 was "cgroup-ready" while the parent placed the init; the init joins by itself now.
  std::string wire = encode({static_cast<MsgType>(7), 0, 0, {}});
  EXPECT_FALSE(decode(wire.data(), wire.size()).ok());
}

TEST(ParentProtocol, NoPidWithoutIntermediate) {
  ParentProtocol p(false, false);
  EXPECT_FALSE(p.expect(MsgType::kInitPid).ok());
}

TEST(ParentProtocol, HooksRequestComesAfterTheNamespacesAndBeforeReady) {
  ParentProtocol p(true, true, true);
  EXPECT_EQ(p.expect(MsgType::kHooksRequest).error().render(),
            "sync: unexpected hooks-request before the namespaces were set up");
  ParentProtocol q(true, true, true);
  EXPECT_TRUE(q.expect(MsgType::kMapsRequest).ok());
  EXPECT_TRUE(q.expect(MsgType::kInitPid).ok());
  EXPECT_EQ(q.expect(MsgType::kReady).error().render(),
            "sync: unexpected ready before the createRuntime hooks ran");
  ParentProtocol r(true, true, true);
  EXPECT_TRUE(r.expect(MsgType::kMapsRequest).ok());
  EXPECT_TRUE(r.expect(MsgType::kInitPid).ok());
  EXPECT_TRUE(r.expect(MsgType::kHooksRequest).ok());
  EXPECT_EQ(r.expect(MsgType::kHooksRequest).error().render(),
            "sync: unexpected hooks-request (no hooks)");
}

TEST(ParentProtocol, NoHooksRequestWithoutHooks) {
  ParentProtocol p(false, false);
  EXPECT_EQ(p.expect(MsgType::kHooksRequest).error().render(),
            "sync: unexpected hooks-request (no hooks)");
  ParentProtocol q(false, false, true);
  EXPECT_TRUE(q.expect(MsgType::kHooksRequest).ok());
  EXPECT_TRUE(q.expect(MsgType::kReady).ok());
}

TEST(ParentProtocol, StartedAndHooksDoneAreNotPartOfTheConversation) {
  ParentProtocol p(false, false);
  EXPECT_EQ(p.expect(MsgType::kStarted).error().render(), "sync: unexpected started before ready");
  EXPECT_EQ(p.expect(MsgType::kHooksDone).error().render(),
            "sync: unexpected hooks-done (parent-to-child message)");
}

TEST(SyncCodec, CarriesTheHookMessages) {
  for (MsgType t : {MsgType::kHooksRequest, MsgType::kHooksDone, MsgType::kStarted}) {
    std::string wire = encode({t, 0, 1234, {}});
    auto back = decode(wire.data(), wire.size());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->type, t);
    EXPECT_EQ(back->value, 1234);
  }
  EXPECT_STREQ(to_string(MsgType::kHooksRequest), "hooks-request");
  EXPECT_STREQ(to_string(MsgType::kHooksDone), "hooks-done");
  EXPECT_STREQ(to_string(MsgType::kStarted), "started");
}

TEST(SyncChannel, CarriesAnFdWithAMessage) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [a, b] = *pair;
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  ASSERT_TRUE(a.send({MsgType::kTerminal, 0, 0, {}}, write_end.get()).ok());
  ASSERT_TRUE(a.send({MsgType::kReady, 0, 0, {}}).ok());
  UniqueFd got;
  auto msg = b.receive(&got);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->type, MsgType::kTerminal);
  ASSERT_TRUE(got.valid());
  ASSERT_EQ(write(got.get(), "y", 1), 1);
  char c = 0;
  ASSERT_EQ(read(read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'y');
  msg = b.receive(&got);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->type, MsgType::kReady);
  EXPECT_FALSE(got.valid());  // a message without an fd leaves none
}

TEST(ParentProtocol, TerminalComesOnceBeforeReady) {
  ParentProtocol p(false, false, false, true);
  EXPECT_EQ(p.expect(MsgType::kReady).error().render(),
            "sync: unexpected ready before the terminal was sent");
  ParentProtocol q(true, true, false, true);
  EXPECT_EQ(q.expect(MsgType::kTerminal).error().render(),
            "sync: unexpected terminal before the namespaces were set up");
  EXPECT_TRUE(q.expect(MsgType::kMapsRequest).ok());
  EXPECT_TRUE(q.expect(MsgType::kInitPid).ok());
  EXPECT_TRUE(q.expect(MsgType::kTerminal).ok());
  EXPECT_EQ(q.expect(MsgType::kTerminal).error().render(),
            "sync: unexpected terminal (no terminal requested, or a second one)");
  EXPECT_TRUE(q.expect(MsgType::kReady).ok());
  ParentProtocol none(false, false);
  EXPECT_FALSE(none.expect(MsgType::kTerminal).ok());
}

}  // namespace
}  // namespace arca::process
