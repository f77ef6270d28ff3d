// The startContainer report: the init's side and `start`'s side of start.sock, and the
// same message over the sync channel for `run`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "process/hook_points.h"

namespace arca::process {
namespace {

TEST(StartReport, StartedIsSuccess) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [init, start] = *pair;
  ASSERT_TRUE(init.send({MsgType::kStarted, 0, 0, {}}).ok());
  EXPECT_TRUE(await_start_report(start).ok());
}

TEST(StartReport, ErrorIsTheInitsReason) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [init, start] = *pair;
  ASSERT_TRUE(
      init.send({MsgType::kError, 0, 0, "startContainer hook 0 \"/x\": exit status 1"}).ok());
  EXPECT_EQ(await_start_report(start).error().render(),
            "container init: startContainer hook 0 \"/x\": exit status 1");
}

TEST(StartReport, HangUpMeansTheInitDied) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [init, start] = *pair;
  init.handle().reset();
  EXPECT_EQ(await_start_report(start).error().render(), "container init exited before it started");
}

TEST(StartReport, AnythingElseIsAProtocolError) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [init, start] = *pair;
  ASSERT_TRUE(init.send({MsgType::kReady, 0, 0, {}}).ok());
  EXPECT_EQ(await_start_report(start).error().render(), "sync: expected started, got ready");
}

class StartSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arca-start-sock-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
    dir_.reset(open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir_.valid());
  }
  void TearDown() override {
    unlinkat(dir_.get(), "start.sock", 0);
    rmdir(path_.c_str());
  }
  std::string path_;
  UniqueFd dir_;
};

TEST_F(StartSocket, NoSocketMeansNoReport) {
  auto channel = connect_for_start(dir_.get());
  ASSERT_TRUE(channel.ok());
  EXPECT_EQ(channel->fd(), -1);
}

TEST_F(StartSocket, ListenerIsPlacedAboveTheGivenFd) {
  auto listener = listen_for_start(dir_.get(), 50);
  ASSERT_TRUE(listener.ok()) << listener.error().render();
  EXPECT_GE(listener->get(), 50);
  EXPECT_TRUE(fcntl(listener->get(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(StartSocket, QueuedConnectionGetsTheInitsReport) {
  auto listener = listen_for_start(dir_.get(), 3);
  ASSERT_TRUE(listener.ok()) << listener.error().render();
  auto start = connect_for_start(dir_.get());
  ASSERT_TRUE(start.ok()) << start.error().render();
  ASSERT_GE(start->fd(), 0);
  spec::Hooks hooks;
  hooks.start_container = {{"/bin/false", {}, {}, {}}};
  InitHooks init;
  init.hooks = &hooks;
  init.record.id = "c1";
  init.start_listener = listener->get();
  std::vector<std::string> env{"PATH=/bin"};
  EXPECT_FALSE(run_start_hooks(nullptr, init, env).ok());
  EXPECT_EQ(await_start_report(*start).error().render(),
            "container init: startContainer hook 0 \"/bin/false\": exit status 1");
}

TEST_F(StartSocket, NobodyListeningMeansNoReport) {
  {
    auto listener = listen_for_start(dir_.get(), 3);
    ASSERT_TRUE(listener.ok());
  }  // the init is gone: the socket file stays, nobody listens
  auto channel = connect_for_start(dir_.get());
  ASSERT_TRUE(channel.ok()) << channel.error().render();
  EXPECT_EQ(channel->fd(), -1);
}

TEST(RunStartHooks, ReportsStartedOverTheRunChannel) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair.ok());
  auto& [init, parent] = *pair;
  spec::Hooks hooks;
  hooks.start_container = {{"/bin/true", {}, {}, {}}};
  InitHooks h;
  h.hooks = &hooks;
  EXPECT_TRUE(run_start_hooks(&init, h, {}).ok());
  EXPECT_TRUE(await_start_report(parent).ok());
}

}  // namespace
}  // namespace arca::process
