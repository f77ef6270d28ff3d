// Every config.json member lands in the right Config field.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spec/parse.h"

namespace arca::spec {
namespace {

using Strings = std::vector<std::string>;

// Shaped like what a container engine (dockerd/containerd) writes for `docker run`.
const char* const kEngineConfig = R"({
  "ociVersion": "1.1.0",
  "process": {
    "user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [10, 27],
             "username": "app"},
    "args": ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOSTNAME=4f3c2b1a0d9e", "NGINX_VERSION=1.25.3"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
      "inheritable": [],
      "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1024}],
    "apparmorProfile": "docker-default",
    "oomScoreAdj": 0,
    "selinuxLabel": "system_u:system_r:container_t:s0:c1,c2",
    "noNewPrivileges": true
  },
  "root": {"path": "/var/lib/docker/overlay2/0a1b2c/merged"},
  "hostname": "4f3c2b1a0d9e",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/etc/resolv.conf", "type": "bind",
     "source": "/var/lib/docker/containers/4f3c/resolv.conf", "options": ["rbind", "rprivate"]},
    {"destination": "/data", "type": "bind", "source": "/srv/data",
     "options": ["rbind", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/dockerd",
                  "args": ["libnetwork-setkey", "-exec-root=/var/run/docker", "4f3c"]}],
    "createRuntime": [{"path": "/usr/libexec/oci/hooks.d/netns", "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps"}],
    "poststop": [{"path": "/bin/stop", "timeout": 10}]
  },
  "annotations": {"org.opencontainers.image.stopSignal": "SIGQUIT",
                  "io.kubernetes.cri/sandbox-id": "abc"},
  "linux": {
    "sysctl": {"net.ipv4.ip_unprivileged_port_start": "0",
               "net.ipv4.ping_group_range": "0 2147483647"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
      "memory": {"limit": 536870912, "swap": 1073741824},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000},
      "pids": {"limit": 100},
      "blockIO": {"weight": 500}
    },
    "cgroupsPath": "system.slice:docker:4f3c",
    "namespaces": [{"type": "mount"}, {"type": "network", "path": "/var/run/docker/netns/4f3c"},
                   {"type": "uts"}, {"type": "pid"}, {"type": "ipc"}, {"type": "cgroup"}],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [{"names": ["accept", "accept4", "read", "write"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                    "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]
    },
    "maskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/sys/firmware"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/sys", "/proc/sysrq-trigger"],
    "mountLabel": "system_u:object_r:container_file_t:s0:c1,c2",
    "rootfsPropagation": "rslave",
    "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229,
                 "fileMode": 438, "uid": 0, "gid": 0}]
  }
})";

TEST(SpecParseFields, EngineConfig) {
  auto parsed = parse_config(kEngineConfig);
  ASSERT_TRUE(parsed) << parsed.error().render();
  const Config& c = *parsed;
  EXPECT_EQ(c.oci_version, "1.1.0");
  EXPECT_EQ(c.root.path, "/var/lib/docker/overlay2/0a1b2c/merged");
  EXPECT_FALSE(c.root.readonly);
  EXPECT_TRUE(c.has_hostname);
  EXPECT_EQ(c.hostname, "4f3c2b1a0d9e");
  EXPECT_FALSE(c.has_domainname);

  ASSERT_TRUE(c.has_process);
  const Process& p = c.process;
  EXPECT_FALSE(p.terminal);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1000u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{10, 27}));
  EXPECT_EQ(p.user.username, "app");
  EXPECT_EQ(p.args, (Strings{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
  EXPECT_EQ(p.env.size(), 3u);
  EXPECT_EQ(p.cwd, "/");
  ASSERT_TRUE(p.capabilities);
  EXPECT_EQ(p.capabilities->effective, (Strings{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}));
  EXPECT_EQ(p.capabilities->bounding.size(), 3u);
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  EXPECT_TRUE(p.capabilities->ambient.empty());
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].hard, 1048576u);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.apparmor_profile, "docker-default");
  EXPECT_EQ(p.oom_score_adj, 0);
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0:c1,c2");
  EXPECT_TRUE(p.no_new_privileges);

  ASSERT_EQ(c.mounts.size(), 3u);
  EXPECT_EQ(c.mounts[1].destination, "/etc/resolv.conf");
  EXPECT_EQ(c.mounts[1].type, "bind");
  EXPECT_EQ(c.mounts[1].source, "/var/lib/docker/containers/4f3c/resolv.conf");
  EXPECT_EQ(c.mounts[1].options, (Strings{"rbind", "rprivate"}));
  ASSERT_EQ(c.mounts[2].uid_mappings.size(), 1u);
  EXPECT_EQ(c.mounts[2].uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(c.mounts[2].gid_mappings[0].size, 65536u);

  ASSERT_EQ(c.hooks.prestart.size(), 1u);
  EXPECT_EQ(c.hooks.prestart[0].path, "/usr/bin/dockerd");
  EXPECT_EQ(c.hooks.prestart[0].args.size(), 3u);
  EXPECT_FALSE(c.hooks.prestart[0].timeout);
  EXPECT_EQ(c.hooks.create_runtime[0].env, Strings{"A=1"});
  EXPECT_EQ(c.hooks.create_runtime[0].timeout, 5);
  EXPECT_EQ(c.hooks.create_container[0].path, "/bin/cc");
  EXPECT_EQ(c.hooks.start_container[0].path, "/bin/sc");
  EXPECT_EQ(c.hooks.poststart[0].path, "/bin/ps");
  EXPECT_EQ(c.hooks.poststop[0].timeout, 10);
  EXPECT_EQ(c.annotations.at("io.kubernetes.cri/sandbox-id"), "abc");

  ASSERT_TRUE(c.has_linux);
  const Linux& l = c.linux;
  EXPECT_EQ(l.sysctl.at("net.ipv4.ping_group_range"), "0 2147483647");
  EXPECT_EQ(l.cgroups_path, "system.slice:docker:4f3c");
  ASSERT_EQ(l.namespaces.size(), 6u);
  EXPECT_EQ(l.namespaces[1].type, "network");
  EXPECT_EQ(l.namespaces[1].path, "/var/run/docker/netns/4f3c");
  EXPECT_EQ(l.namespaces[0].path, "");
  EXPECT_EQ(l.masked_paths.size(), 4u);
  EXPECT_EQ(l.readonly_paths[3], "/proc/sysrq-trigger");
  EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
  EXPECT_EQ(l.rootfs_propagation, "rslave");
  ASSERT_EQ(l.devices.size(), 1u);
  EXPECT_EQ(l.devices[0].type, "c");
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].minor, 229);
  EXPECT_EQ(l.devices[0].file_mode, 0666u);
  EXPECT_EQ(l.devices[0].uid, 0u);
  EXPECT_FALSE(l.intel_rdt);
  EXPECT_FALSE(l.personality);
}

TEST(SpecParseFields, EngineConfigKeepsRawSections) {
  auto c = parse_config(kEngineConfig);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->linux.resources);
  EXPECT_EQ((*c->linux.resources)["memory"]["limit"], 536870912);
  EXPECT_EQ((*c->linux.resources)["devices"][1]["minor"], 3);
  EXPECT_EQ((*c->linux.resources)["pids"]["limit"], 100);
  ASSERT_TRUE(c->linux.seccomp);
  EXPECT_EQ((*c->linux.seccomp)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*c->linux.seccomp)["defaultErrnoRet"], 1);
  EXPECT_EQ((*c->linux.seccomp)["syscalls"][1]["args"][0]["op"], "SCMP_CMP_EQ");
  EXPECT_EQ((*c->linux.seccomp)["architectures"].size(), 3u);
}

TEST(SpecParseFields, NewerProcessMembers) {
  auto parsed = parse_config(R"({"process": {
    "terminal": true, "consoleSize": {"height": 24, "width": 80},
    "commandLine": "cmd.exe /c dir",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 10, "deadline": 20,
                  "period": 30},
    "execCPUAffinity": {"initial": "0-3", "final": "5"}}})");
  ASSERT_TRUE(parsed) << parsed.error().render();
  const Process& p = parsed->process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 24u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.command_line, "cmd.exe /c dir");
  ASSERT_TRUE(p.io_priority);
  EXPECT_EQ(p.io_priority->klass, "IOPRIO_CLASS_BE");
  EXPECT_EQ(p.io_priority->priority, 4);
  ASSERT_TRUE(p.scheduler);
  EXPECT_EQ(p.scheduler->policy, "SCHED_DEADLINE");
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.scheduler->priority, 3);
  EXPECT_EQ(p.scheduler->flags, Strings{"SCHED_FLAG_RESET_ON_FORK"});
  EXPECT_EQ(p.scheduler->runtime, 10u);
  EXPECT_EQ(p.scheduler->deadline, 20u);
  EXPECT_EQ(p.scheduler->period, 30u);
  ASSERT_TRUE(p.exec_cpu_affinity);
  EXPECT_EQ(p.exec_cpu_affinity->initial, "0-3");
  EXPECT_EQ(p.exec_cpu_affinity->final, "5");
}

TEST(SpecParseFields, NewerLinuxMembers) {
  auto parsed = parse_config(R"({"domainname": "example.org", "root": {"path": "r",
    "readonly": true}, "linux": {
    "namespaces": [{"type": "user"}, {"type": "time"}],
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": 1001, "size": 2}],
    "timeOffsets": {"monotonic": {"secs": -86400}, "boottime": {"nanosecs": 5}},
    "intelRdt": {"closID": "guaranteed_group", "l3CacheSchema": "L3:0=7f0"},
    "personality": {"domain": "LINUX32", "flags": []}}})");
  ASSERT_TRUE(parsed) << parsed.error().render();
  const Config& c = *parsed;
  EXPECT_TRUE(c.has_domainname);
  EXPECT_EQ(c.domainname, "example.org");
  EXPECT_TRUE(c.root.readonly);
  EXPECT_FALSE(c.has_process);
  const Linux& l = c.linux;
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(l.uid_mappings[0].host_id, 1000u);
  EXPECT_EQ(l.gid_mappings[0].size, 2u);
  EXPECT_EQ(l.time_offsets.at("monotonic").secs, -86400);
  EXPECT_EQ(l.time_offsets.at("monotonic").nanosecs, 0u);
  EXPECT_EQ(l.time_offsets.at("boottime").nanosecs, 5u);
  ASSERT_TRUE(l.intel_rdt);
  EXPECT_EQ((*l.intel_rdt)["closID"], "guaranteed_group");
  ASSERT_TRUE(l.personality);
  EXPECT_EQ(l.personality->domain, "LINUX32");
}

}  // namespace
}  // namespace arca::spec
