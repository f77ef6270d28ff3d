#include "spec/default_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "spec/parse.h"
#include "validate/validate.h"

namespace arca::spec {
namespace {

using nlohmann::json;

// What `runc spec` (runc 1.1.5) writes, with our spec version.
const char* const kRuncSpec = R"({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "runc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
})";

// The differences `runc spec --rootless` makes.
json rootless_expectation() {
  json want = json::parse(kRuncSpec);
  json& linux_section = want["linux"];
  linux_section.erase("resources");
  linux_section["namespaces"] = json::parse(
      R"([{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
          {"type": "user"}])");
  linux_section["uidMappings"] = {{{"containerID", 0}, {"hostID", geteuid()}, {"size", 1}}};
  linux_section["gidMappings"] = {{{"containerID", 0}, {"hostID", getegid()}, {"size", 1}}};
  want["mounts"][2]["options"] =
      json::parse(R"(["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"])");
  want["mounts"][5] = json::parse(R"({"destination": "/sys", "type": "none", "source": "/sys",
      "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})");
  return want;
}

TEST(DefaultConfig, MatchesRuncSpec) {
  EXPECT_EQ(default_config_json(false), json::parse(kRuncSpec))
      << default_config_json(false).dump(2);
}

TEST(DefaultConfig, RootlessMatchesRuncSpecRootless) {
  EXPECT_EQ(default_config_json(true), rootless_expectation()) << default_config_json(true).dump(2);
}

// A bundle with an empty rootfs directory.
class TempBundle {
 public:
  TempBundle() {
    char tmpl[] = "/tmp/arca-default-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    mkdir((dir_ + "/rootfs").c_str(), 0755);
  }
  ~TempBundle() {
    rmdir((dir_ + "/rootfs").c_str());
    rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

void expect_round_trip(bool rootless) {
  json doc = default_config_json(rootless);
  auto config = parse_config(doc.dump(2));
  ASSERT_TRUE(config) << config.error().render();
  EXPECT_EQ(config->oci_version, "1.2.0");
  EXPECT_EQ(config->process.args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(config->process.terminal);
  EXPECT_EQ(config->mounts.size(), 7u);
  EXPECT_EQ(config->linux.resources.has_value(), !rootless);
  EXPECT_EQ(config->linux.uid_mappings.size(), rootless ? 1u : 0u);
  TempBundle bundle;
  Status valid = validate::validate_config(*config, bundle.dir());
  EXPECT_TRUE(valid) << valid.error().render();
}

TEST(DefaultConfig, RoundTripsAndValidates) { expect_round_trip(false); }

TEST(DefaultConfig, RootlessRoundTripsAndValidates) { expect_round_trip(true); }

}  // namespace
}  // namespace arca::spec
