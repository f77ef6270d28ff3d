// The terminal pieces that run without privileges: flag checks, fd passing, the console
// socket protocol, pty sizing, the EOF rule of the relay, and the launch plan fields.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "console/console_socket.h"
#include "console/proxy.h"
#include "console/pty.h"
#include "linux/fd_passing.h"
#include "plan/launch.h"
#include "rootfs_testing.h"

namespace arca::console {
namespace {

std::string use_error(bool terminal, bool detached, bool socket) {
  auto status = check_terminal_use(terminal, detached, socket);
  return status.ok() ? "ok" : status.error().render();
}

TEST(TerminalUse, FollowsRuncRules) {
  EXPECT_EQ(use_error(false, false, false), "ok");
  EXPECT_EQ(use_error(false, true, false), "ok");
  EXPECT_EQ(use_error(true, false, false), "ok");  // foreground: arca relays it
  EXPECT_EQ(use_error(true, true, true), "ok");    // create/run -d with a socket
  EXPECT_EQ(use_error(true, true, false),
            "process.terminal is set but no --console-socket was given to send the terminal "
            "to (a detached container's terminal needs one)");
  EXPECT_EQ(use_error(false, true, true), "--console-socket needs process.terminal (it is false)");
  EXPECT_EQ(use_error(true, false, true),
            "--console-socket needs a detached container (create, run -d): in the foreground "
            "arca relays the terminal itself");
}

TEST(RelayEof, TheTerminalsEofCharacter) {
  termios mode = {};
  mode.c_cc[VEOF] = 'z';
  EXPECT_EQ(eof_char(mode), 'z');
  mode.c_cc[VEOF] = _POSIX_VDISABLE;  // disabled: ^D, what line editors read as EOF
  EXPECT_EQ(eof_char(mode), '\x04');
}

struct Pipe {
  UniqueFd read_end, write_end;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
};

struct SocketPair {
  UniqueFd a, b;
  explicit SocketPair(int type) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
    a.reset(sv[0]);
    b.reset(sv[1]);
  }
};

TEST(FdPassing, CarriesDataAndOneFd) {
  auto [a, b] = SocketPair(SOCK_STREAM);
  Pipe p;
  ASSERT_TRUE(linux_sys::send_fd(a.get(), "name", p.write_end.get()).ok());
  char buf[16];
  UniqueFd got;
  auto n = linux_sys::receive_fd(b.get(), buf, sizeof buf, &got);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "name");
  ASSERT_TRUE(got.valid());
  EXPECT_TRUE(fcntl(got.get(), F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(write(got.get(), "x", 1), 1);  // the same pipe
  char c = 0;
  ASSERT_EQ(read(p.read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(FdPassing, PlainMessagesAndEndOfFile) {
  auto [a, b] = SocketPair(SOCK_SEQPACKET);
  ASSERT_EQ(write(a.get(), "hi", 2), 2);
  char buf[16];
  UniqueFd got(open("/dev/null", O_RDONLY | O_CLOEXEC));  // a plain message clears it
  ASSERT_TRUE(got.valid());
  auto n = linux_sys::receive_fd(b.get(), buf, sizeof buf, &got);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_FALSE(got.valid());
  a.reset();
  n = linux_sys::receive_fd(b.get(), buf, sizeof buf, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(linux_sys::send_fd(b.get(), "", 0).error().code(), EINVAL);
}

TEST(FdPassing, AnUnwantedFdIsClosed) {
  auto [a, b] = SocketPair(SOCK_SEQPACKET);
  Pipe p;
  ASSERT_TRUE(linux_sys::send_fd(a.get(), "x", p.write_end.get()).ok());
  p.write_end.reset();
  char buf[4];
  ASSERT_TRUE(linux_sys::receive_fd(b.get(), buf, sizeof buf, nullptr).ok());
  // No write end is left anywhere: the reader sees end-of-file.
  EXPECT_EQ(read(p.read_end.get(), buf, 1), 0);
}

using rootfs::testing::TempDir;

TEST(ConsoleSocket, SendsTheMasterAsRuncDoes) {
  TempDir dir("arca-console");
  std::string path = dir / "sock";
  UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener.get(), 1), 0);

  auto conn = connect_console_socket(path);
  ASSERT_TRUE(conn.ok()) << conn.error().render();
  UniqueFd peer(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(peer.valid());
  Pipe p;
  ASSERT_TRUE(send_master(conn->get(), p.read_end.get()).ok());
  char buf[4096];
  UniqueFd got;
  auto n = linux_sys::receive_fd(peer.get(), buf, sizeof buf, &got);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "/dev/ptmx");
  EXPECT_TRUE(got.valid());
}

TEST(ConsoleSocket, ErrorsNameThePath) {
  TempDir dir("arca-console");
  std::string path = dir / "missing";
  EXPECT_EQ(connect_console_socket(path).error().render(),
            "console socket \"" + path + "\": connect: No such file or directory");
  EXPECT_EQ(connect_console_socket(std::string(200, 'x')).error().code(), ENAMETOOLONG);
}

TEST(Pty, OpensThroughRootAndSizes) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto pty = open_pty(root.get());
  if (!pty.ok() && pty.error().code() == ENOENT) GTEST_SKIP() << "no /dev/ptmx here";
  ASSERT_TRUE(pty.ok()) << pty.error().render();
  EXPECT_TRUE(isatty(pty->slave.get()));
  EXPECT_TRUE(fcntl(pty->master.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(fcntl(pty->slave.get(), F_GETFD) & FD_CLOEXEC);
  ASSERT_TRUE(set_window_size(pty->master.get(), {33, 111}).ok());
  auto size = window_size(pty->slave.get());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->rows, 33);
  EXPECT_EQ(size->cols, 111);
  ASSERT_TRUE(set_window_size(pty->master.get(), {0, 0}).ok());  // left alone
  EXPECT_EQ(window_size(pty->slave.get())->rows, 33);
  // The slave is the master's peer: what it writes, the master reads.
  ASSERT_EQ(write(pty->slave.get(), "ok", 2), 2);
  char buf[8];
  EXPECT_EQ(read(pty->master.get(), buf, sizeof buf), 2);
}

TEST(Pty, SomethingElseAtDevPtmxIsRefused) {
  TempDir dir("arca-ptmx");
  ASSERT_EQ(mkdir((dir / "dev").c_str(), 0755), 0);
  rootfs::testing::write_file(dir / "dev/ptmx", "");
  UniqueFd root(open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_FALSE(open_pty(root.get()).ok());
}

}  // namespace
}  // namespace arca::console

namespace arca::plan {
namespace {

spec::Config terminal_config() {
  spec::Config config;
  config.has_process = true;
  config.process.args = {"sh"};
  config.process.terminal = true;
  return config;
}

TEST(PlanTerminal, TerminalAndConsoleSize) {
  auto config = terminal_config();
  config.process.console_size = spec::ConsoleSize{24, 80};
  Launch launch;
  ASSERT_TRUE(plan_process(config, &launch).ok());
  EXPECT_TRUE(launch.terminal);
  EXPECT_EQ(launch.console_rows, 24);
  EXPECT_EQ(launch.console_cols, 80);
  // Without a terminal the size means nothing (runc ignores it too).
  config.process.terminal = false;
  config.process.console_size = spec::ConsoleSize{70000, 80};
  ASSERT_TRUE(plan_process(config, &launch).ok());
  EXPECT_FALSE(launch.terminal);
  EXPECT_EQ(launch.console_rows, 0);
}

TEST(PlanTerminal, ASizeThatDoesNotFitIsRefused) {
  auto config = terminal_config();
  config.process.console_size = spec::ConsoleSize{24, 65536};
  Launch launch;
  EXPECT_EQ(plan_process(config, &launch).error().render(),
            "/process/consoleSize/width: 65536 exceeds 65535");
  config.process.console_size = spec::ConsoleSize{65536, 1};
  EXPECT_EQ(plan_process(config, &launch).error().render(),
            "/process/consoleSize/height: 65536 exceeds 65535");
}

}  // namespace
}  // namespace arca::plan
