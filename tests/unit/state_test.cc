#include "state/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "state/proc_stat.h"

namespace arca::state {
namespace {

// Each test gets its own root under /tmp, removed afterwards.
class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/arca-state-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/run/arca";  // nested: create must make the parents
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + base_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  StateDir make(const std::string& id) {
    auto dir = StateDir::create(root_, id);
    EXPECT_TRUE(dir) << dir.error().render();
    return std::move(dir).value();
  }
  static std::vector<std::string> entries(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return names;
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }
  static bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  std::string base_;
  std::string root_;
};

TEST(StateIds, ValidIds) {
  for (const std::string& id : std::vector<std::string>{"a", "abc", "A-b_c.d+e", "0", "...", ".a",
                                                        "a..b", "x.", std::string(1024, 'x')}) {
    EXPECT_TRUE(validate_id(id)) << id;
  }
}

TEST(StateIds, InvalidIds) {
  for (const std::string& id :
       std::vector<std::string>{"", ".", "..", "../x", "a/b", "/abs", "a b", "a\nb", "a:b",
                                "caf\xc3\xa9", "\xe2\x9c\x93", std::string(1025, 'x')}) {
    EXPECT_FALSE(validate_id(id)) << id;
  }
}

TEST(StateIds, Messages) {
  EXPECT_EQ(validate_id("").error().render(), "container id must not be empty");
  EXPECT_EQ(validate_id("a/b").error().render(),
            "invalid container id \"a/b\": only letters, digits and _ . + - are allowed");
  EXPECT_EQ(validate_id("..").error().render(),
            "invalid container id \"..\": must not be \".\" or \"..\"");
  // A huge id is cut short in the message.
  EXPECT_LT(validate_id(std::string(5000, 'x')).error().render().size(), 200u);
}

TEST(StateStatus, Strings) {
  EXPECT_STREQ(to_string(Status::creating), "creating");
  EXPECT_STREQ(to_string(Status::created), "created");
  EXPECT_STREQ(to_string(Status::running), "running");
  EXPECT_STREQ(to_string(Status::paused), "paused");
  EXPECT_STREQ(to_string(Status::stopped), "stopped");
}

TEST_F(StateTest, CreateMakesRootAndDir) {
  StateDir dir = make("c1");
  EXPECT_EQ(dir.path(), root_ + "/c1");
  EXPECT_EQ(dir.id(), "c1");
  EXPECT_GE(dir.fd(), 0);
  EXPECT_EQ(dir.exec_fifo_path(), root_ + "/c1/exec.fifo");
  struct stat st;
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat(dir.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  // Existing root is fine.
  make("c2");
}

TEST_F(StateTest, CreateTwiceOneWins) {
  StateDir first = make("dup");
  auto second = StateDir::create(root_, "dup");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().render(), "container \"dup\" already exists");
}

TEST_F(StateTest, CreateRejectsBadIdBeforeTouchingDisk) {
  auto dir = StateDir::create(root_, "../escape");
  ASSERT_FALSE(dir);
  EXPECT_FALSE(exists(root_ + "/../escape"));
  EXPECT_FALSE(StateDir::open(root_, "../escape"));
  EXPECT_FALSE(StateDir::open(root_, ".."));
  EXPECT_FALSE(StateDir::create("", "c1"));
  EXPECT_FALSE(StateDir::open("", "c1"));
}

TEST_F(StateTest, RacingProcessesExactlyOneCreates) {
  constexpr int kRacers = 4;
  for (int round = 0; round < 5; ++round) {
    const std::string id = "race" + std::to_string(round);
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < kRacers; ++i) {
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(gate[1]);
        char c;
        (void)!::read(gate[0], &c, 1);  // all racers start when the gate closes
        auto dir = StateDir::create(root_, id);
        if (dir) ::_exit(0);
        ::_exit(dir.error().render() == "container \"" + id + "\" already exists" ? 1 : 2);
      }
      pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);
    int winners = 0, losers = 0;
    for (pid_t pid : pids) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status));
      winners += WEXITSTATUS(status) == 0;
      losers += WEXITSTATUS(status) == 1;
    }
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(losers, kRacers - 1);
  }
}

TEST_F(StateTest, OpenMissing) {
  auto dir = StateDir::open(root_, "ghost");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().render(), "container \"ghost\" does not exist");
}

TEST_F(StateTest, OpenRefusesSymlinkedDir) {
  make("real");
  ASSERT_EQ(::symlink((root_ + "/real").c_str(), (root_ + "/link").c_str()), 0);
  EXPECT_FALSE(StateDir::open(root_, "link"));
}

Record sample_record() {
  Record r;
  r.id = "c1";
  r.bundle = "/bundles/c1";
  r.rootfs = "/bundles/c1/rootfs";
  r.pid = 4242;
  r.start_time = 123456789012ull;
  r.created = "2026-11-29T18:54:10.123456789Z";
  r.creating = false;
  r.owner = "";
  r.annotations = {{"org.example/a", "1"}, {"b", "two"}};
  r.extra = {{"cgroup", "/sys/fs/cgroup/arca/c1"}};
  return r;
}

void expect_same(const Record& a, const Record& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.bundle, b.bundle);
  EXPECT_EQ(a.rootfs, b.rootfs);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.creating, b.creating);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.annotations, b.annotations);
  EXPECT_EQ(a.extra, b.extra);
}

TEST_F(StateTest, SaveLoadRoundTripLeavesNoTempFile) {
  StateDir dir = make("c1");
  Record record = sample_record();
  ASSERT_TRUE(dir.save(record));
  record.pid = 7;  // overwrite must replace, not append
  ASSERT_TRUE(dir.save(record));
  auto loaded = dir.load();
  ASSERT_TRUE(loaded) << loaded.error().render();
  expect_same(*loaded, record);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"state.json"});
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // A second handle sees the same record.
  auto again = StateDir::open(root_, "c1");
  ASSERT_TRUE(again);
  expect_same(*again->load(), record);
}

TEST_F(StateTest, LoadMissingStateJson) {
  StateDir dir = make("c1");
  auto loaded = dir.load();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), ENOENT);
  EXPECT_EQ(loaded.error().render(), "state.json of \"c1\": No such file or directory");
}

TEST_F(StateTest, LoadCorrupt) {
  StateDir dir = make("c1");
  const std::string file = dir.path() + "/state.json";
  struct Case {
    std::string text, message;
  };
  const std::string prefix = "state.json of \"c1\": corrupt: ";
  for (const Case& c : std::vector<Case>{
           {"", "empty file"},
           {"{\"id\": \"c1\", ", "not valid JSON"},
           {"[1, 2]", "expected a JSON object"},
           {"{}", "missing field \"id\""},
           {"{\"id\": \"c1\", \"pid\": \"12\"}", "field \"pid\": expected an integer"},
           {"{\"id\": \"c1\", \"pid\": -3}", "field \"pid\": expected a pid"},
           {"{\"id\": \"c1\", \"pid\": 99999999999}", "field \"pid\": expected a pid"},
           {"{\"id\": \"c1\", \"start_time\": -1}",
            "field \"start_time\": expected a non-negative integer"},
           {"{\"id\": \"c1\", \"creating\": 1}", "field \"creating\": expected a boolean"},
           {"{\"id\": \"c1\", \"annotations\": {\"k\": 1}}", "annotation \"k\": expected a string"},
           {"{\"id\": \"c1\", \"extra\": []}", "field \"extra\": expected an object"},
           {"{\"id\": \"other\"}", "it names container \"other\""},
       }) {
    write(file, c.text);
    auto loaded = dir.load();
    ASSERT_FALSE(loaded) << c.text;
    EXPECT_EQ(loaded.error().render(), prefix + c.message) << c.text;
  }
}

TEST(StateRecord, MissingOptionalKeysTolerated) {
  auto record = record_from_json(nlohmann::json{{"id", "c1"}, {"pid", 5}, {"owner", nullptr}});
  ASSERT_TRUE(record) << record.error().render();
  EXPECT_EQ(record->id, "c1");
  EXPECT_EQ(record->pid, 5);
  EXPECT_EQ(record->start_time, 0u);
  EXPECT_TRUE(record->creating);
  EXPECT_TRUE(record->annotations.empty());
  EXPECT_TRUE(record->extra.is_object());
}

TEST(StateRecord, JsonKeys) {
  auto j = to_json(sample_record());
  for (const char* key : {"id", "bundle", "rootfs", "pid", "start_time", "created", "creating",
                          "owner", "annotations", "extra"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 10u);
  EXPECT_EQ(j["start_time"], 123456789012ull);
}

TEST(StateRecord, OciStateShape) {
  Record r = sample_record();
  auto running = oci_state(r, Status::running);
  EXPECT_EQ(running, (nlohmann::json{{"ociVersion", "1.2.0"},
                                     {"id", "c1"},
                                     {"status", "running"},
                                     {"pid", 4242},
                                     {"bundle", "/bundles/c1"},
                                     {"annotations", {{"org.example/a", "1"}, {"b", "two"}}}}));
  auto stopped = oci_state(r, Status::stopped);
  EXPECT_FALSE(stopped.contains("pid"));
  EXPECT_EQ(stopped["status"], "stopped");
  r.pid = 0;
  r.annotations.clear();
  auto creating = oci_state(r, Status::creating);
  EXPECT_FALSE(creating.contains("pid"));
  EXPECT_FALSE(creating.contains("annotations"));
  EXPECT_EQ(creating.size(), 4u);
}

TEST_F(StateTest, RemoveIsIdempotent) {
  StateDir dir = make("c1");
  ASSERT_TRUE(dir.save(sample_record()));
  ASSERT_EQ(::mkfifo(dir.exec_fifo_path().c_str(), 0600), 0);
  ASSERT_TRUE(dir.remove());
  EXPECT_FALSE(exists(dir.path()));
  EXPECT_TRUE(dir.remove()) << dir.remove().error().render();
  // The id is free again.
  make("c1");
}

TEST_F(StateTest, RemoveNeverFollowsSymlinks) {
  const std::string outside = base_ + "/outside";
  ASSERT_EQ(::mkdir(outside.c_str(), 0700), 0);
  write(outside + "/precious", "keep me");
  StateDir dir = make("c1");
  ASSERT_EQ(::symlink(outside.c_str(), (dir.path() + "/dirlink").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/precious").c_str(), (dir.path() + "/filelink").c_str()), 0);
  // A nested directory is emptied too, and links inside it are not followed either.
  ASSERT_EQ(::mkdir((dir.path() + "/sub").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((dir.path() + "/sub/deeper").c_str(), 0700), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (dir.path() + "/sub/deeper/link").c_str()), 0);
  write(dir.path() + "/sub/file", "x");
  ASSERT_TRUE(dir.remove());
  EXPECT_FALSE(exists(dir.path()));
  EXPECT_EQ(entries(outside), std::vector<std::string>{"precious"});
  std::ifstream in(outside + "/precious");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "keep me");
}

// Exit codes of the mount-point child below.
constexpr int kNoPrivilege = 77;
constexpr int kRefused = 0;

TEST_F(StateTest, RemoveRefusesToCrossMountPoints) {
  StateDir dir = make("c1");
  const std::string mnt = dir.path() + "/mnt";
  ASSERT_EQ(::mkdir(mnt.c_str(), 0700), 0);
  // A private mount namespace in a child: the mount cannot leak even if the test fails.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, nullptr) != 0) {
      ::_exit(kNoPrivilege);
    }
    write(mnt + "/inside", "x");
    // Reopen: a dir fd from before unshare() would walk the parent's mount tree.
    auto reopened = StateDir::open(root_, "c1");
    if (!reopened) ::_exit(1);
    auto removed = reopened->remove();
    const bool refused =
        !removed && removed.error().render().find("mount point") != std::string::npos;
    ::_exit(refused && exists(mnt + "/inside") ? kRefused : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kNoPrivilege) GTEST_SKIP() << "needs CAP_SYS_ADMIN";
  EXPECT_EQ(WEXITSTATUS(status), kRefused);
}

TEST_F(StateTest, RemoveSparesANewContainerWithTheSameId) {
  StateDir old_dir = make("c1");
  ASSERT_TRUE(old_dir.remove());
  StateDir new_dir = make("c1");
  ASSERT_TRUE(new_dir.save(sample_record()));
  ASSERT_TRUE(old_dir.remove());  // stale handle: must not touch the new container
  EXPECT_TRUE(new_dir.load());
}

TEST(StateProc, ParseStatWithHostileComm) {
  // comm may contain spaces, parentheses and ") " sequences that mimic field boundaries.
  std::string stat = "1234 (a) S 1 (b) R) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 99\n";
  auto parsed = parse_proc_stat(stat);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->state, 'S');
  EXPECT_EQ(parsed->start_time, 777u);
  EXPECT_FALSE(parse_proc_stat("1234 no paren"));
  EXPECT_FALSE(parse_proc_stat("1234 (x) S 1 2"));  // truncated
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 abc 1"));
  auto zombie = parse_proc_stat("9 (x) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 5");
  ASSERT_TRUE(zombie);
  EXPECT_EQ(zombie->state, 'Z');
  EXPECT_EQ(zombie->start_time, 5u);
}

TEST(StateProc, StartTimeOfSelfAndMissing) {
  EXPECT_GT(process_start_time(::getpid()), 0u);
  EXPECT_EQ(process_start_time(::getpid()), process_start_time(::getpid()));
  EXPECT_EQ(process_start_time(0), 0u);
  EXPECT_EQ(process_start_time(-1), 0u);
  EXPECT_EQ(process_start_time(0x3fffffff), 0u);  // above pid_max
}

// A child that lives until the returned fd is closed.
pid_t spawn_waiting_child(int* release_fd) {
  int p[2];
  if (::pipe(p) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[1]);
    char c;
    (void)!::read(p[0], &c, 1);
    ::_exit(0);
  }
  ::close(p[0]);
  *release_fd = p[1];
  return pid;
}

TEST_F(StateTest, CurrentStatus) {
  StateDir dir = make("c1");
  Record r = sample_record();
  r.pid = ::getpid();
  r.start_time = process_start_time(r.pid);
  EXPECT_EQ(current_status(r, dir.path()), Status::running);
  ASSERT_EQ(::mkfifo(dir.exec_fifo_path().c_str(), 0600), 0);
  EXPECT_EQ(current_status(r, dir.path()), Status::created);
  r.creating = true;
  EXPECT_EQ(current_status(r, dir.path()), Status::creating);
  r.creating = false;
  // The pid was reused by another process: its start time differs.
  r.start_time += 1;
  EXPECT_EQ(current_status(r, dir.path()), Status::stopped);
  r.pid = 0;
  EXPECT_EQ(current_status(r, dir.path()), Status::stopped);
  r.creating = true;
  EXPECT_EQ(current_status(r, dir.path()), Status::creating);
}

TEST_F(StateTest, CurrentStatusOfChildThatDies) {
  StateDir dir = make("c1");
  int release = -1;
  pid_t child = spawn_waiting_child(&release);
  ASSERT_GT(child, 0);
  Record r = sample_record();
  r.pid = child;
  r.start_time = process_start_time(child);
  ASSERT_GT(r.start_time, 0u);
  EXPECT_EQ(current_status(r, dir.path()), Status::running);
  ::close(release);
  // Exited but not yet reaped (WNOWAIT): a zombie counts as stopped.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(current_status(r, dir.path()), Status::stopped);
  r.creating = true;  // a creating container whose init died is stopped too
  EXPECT_EQ(current_status(r, dir.path()), Status::stopped);
  r.creating = false;
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_EQ(process_start_time(child), 0u);
  EXPECT_EQ(current_status(r, dir.path()), Status::stopped);
}

TEST_F(StateTest, ListIdsSortedIgnoringJunk) {
  auto empty = list_ids(root_);  // root does not exist yet
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  StateDir b = make("b");
  StateDir a = make("a");
  StateDir c = make("C");
  write(root_ + "/file-not-dir", "x");
  ASSERT_EQ(::mkdir((root_ + "/bad id").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((root_ + "/a").c_str(), (root_ + "/link").c_str()), 0);
  auto ids = list_ids(root_);
  ASSERT_TRUE(ids) << ids.error().render();
  EXPECT_EQ(*ids, (std::vector<std::string>{"C", "a", "b"}));
}

TEST_F(StateTest, WriteFileAtomic) {
  const std::string path = base_ + "/out.txt";
  ASSERT_TRUE(write_file_atomic(path, "first", 0640));
  ASSERT_TRUE(write_file_atomic(path, "second", 0640));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "second");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(entries(base_), std::vector<std::string>{"out.txt"});
  EXPECT_FALSE(write_file_atomic(base_ + "/missing/out.txt", "x", 0600));
}

// `pattern` uses 'd' for any digit; every other character must match itself. (Not
// std::regex: GCC 12 warns inside <regex> under sanitizers, and -Werror is on.)
bool matches_shape(const std::string& text, const std::string& pattern) {
  if (text.size() != pattern.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool ok = pattern[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == pattern[i];
    if (!ok) return false;
  }
  return true;
}

TEST(StateTime, NowRfc3339) {
  const std::string now = now_rfc3339();
  EXPECT_TRUE(matches_shape(now, "dddd-dd-ddTdd:dd:dd.dddddddddZ")) << now;
  EXPECT_FALSE(matches_shape("2026-11-29T18:54:10Z", "dddd-dd-ddTdd:dd:dd.dddddddddZ"));
  // Fixed width, so later times compare greater as strings.
  EXPECT_LE(now, now_rfc3339());
  EXPECT_GT(now.substr(0, 4), "2020");
}

}  // namespace
}  // namespace arca::state
