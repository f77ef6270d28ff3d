// The hand-off of a seccomp listener fd: runc's ContainerProcessState and one sendmsg
// carrying it with the fd, read back the way an agent reads it.
#include "security/listener_handoff.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "linux/fd_passing.h"

namespace arca::security {
namespace {

using nlohmann::json;

TEST(SeccompNotify, ProcessStateHasRuncsShape) {
  json state{
      {"ociVersion", "1.2.0"}, {"id", "c1"}, {"status", "creating"}, {"pid", 42}, {"bundle", "/b"}};
  json s = container_process_state(state, 42, "meta");
  EXPECT_EQ(s, json::parse(R"({"ociVersion":"1.2.0","fds":["seccompFd"],"pid":42,
      "metadata":"meta","state":{"ociVersion":"1.2.0","id":"c1","status":"creating",
      "pid":42,"bundle":"/b"}})"));
  EXPECT_FALSE(container_process_state(state, 42, "").contains("metadata"));
}

TEST(SeccompNotify, SendsTheStateWithTheFd) {
  char dir[] = "/tmp/arca-notify-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/agent.sock";
  UniqueFd server(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(server.get(), 1), 0);

  UniqueFd passed(open("/dev/null", O_RDONLY | O_CLOEXEC));
  json state = container_process_state(json{{"id", "c1"}}, 7, "");
  ASSERT_TRUE(send_to_listener(path, state, passed.get()));

  UniqueFd conn(accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid());
  char buf[4096];
  UniqueFd got;
  auto n = linux_sys::receive_fd(conn.get(), buf, sizeof buf, &got);
  ASSERT_TRUE(n) << n.error().render();
  EXPECT_EQ(json::parse(std::string(buf, *n)), state);
  ASSERT_TRUE(got.valid());
  struct stat a, b;
  ASSERT_EQ(fstat(got.get(), &a), 0);
  ASSERT_EQ(fstat(passed.get(), &b), 0);
  EXPECT_EQ(a.st_rdev, b.st_rdev);
  EXPECT_NE(fcntl(got.get(), F_GETFD) & FD_CLOEXEC, 0);

  unlink(path.c_str());
  rmdir(dir);
}

TEST(SeccompNotify, MissingListenerIsNamed) {
  auto s = send_to_listener("/nonexistent/agent.sock", json::object(), 0);
  EXPECT_EQ(s.error().render(),
            "seccomp listener \"/nonexistent/agent.sock\": connect: No such file or directory");
}

}  // namespace
}  // namespace arca::security
