"""Differential tests: the same config under runc and under the runtime under
test must give the same probe report once normalise.normalise() has removed
what legitimately differs (see normalise.IGNORED for the list and reasons).

When the runtime under test is runc itself this validates the normaliser
(run-to-run noise must all be covered by IGNORED).
"""
import copy
import os

import pytest

import arcatest
import normalise

pytestmark = pytest.mark.differential


def _tmpfs(dest, *options):
    return {"destination": dest, "type": "tmpfs", "source": "tmpfs", "options": list(options)}


def v_default(b):
    pass


def v_rw_root(b):
    b.config["root"]["readonly"] = False


def v_caps_root(b):
    caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_SETUID"]
    b.process["capabilities"] = {"bounding": caps, "permitted": caps[:3], "effective": caps[:2],
                                 "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
    b.process["noNewPrivileges"] = False


def v_caps_user(b):
    v_caps_root(b)
    b.process["user"] = {"uid": 1000, "gid": 1000}


def v_caps_empty(b):
    b.process["capabilities"] = {}


def v_user_groups(b):
    b.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 65534], "umask": 0o077}


def v_rlimits(b):
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 128},
                            {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
                            {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}]


def v_masked_readonly(b):
    os.makedirs(os.path.join(b.rootfs, "data"))
    with open(os.path.join(b.rootfs, "etc", "secret"), "w") as f:
        f.write("s")
    b.linux["maskedPaths"] = b.linux.get("maskedPaths", []) + ["/etc/secret", "/data"]
    b.linux["readonlyPaths"] = b.linux.get("readonlyPaths", []) + ["/etc", "/missing"]


def v_mounts(b):
    src = os.path.join(b.dir, "src")
    os.makedirs(src)
    with open(os.path.join(src, "f"), "w") as f:
        f.write("data")
    b.config["mounts"] += [
        _tmpfs("/mnt/t", "nosuid", "nodev", "size=2m", "mode=0700"),
        _tmpfs("/mnt/new/deep"),
        {"destination": "/mnt/ro", "type": "bind", "source": src, "options": ["rbind", "ro"]},
        {"destination": "/mnt/rw", "type": "bind", "source": src,
         "options": ["bind", "rw", "noexec", "nosuid"]},
        {"destination": "/etc/f", "type": "bind", "source": os.path.join(src, "f"),
         "options": ["bind", "ro"]},
    ]
    b.config["root"]["readonly"] = False


def v_hostname(b):
    b.config["hostname"] = "diffhost"


def v_env_cwd(b):
    b.process["env"] = ["PATH=/bin:/sbin", "A=1", "B=two words", "EMPTY="]
    b.process["cwd"] = "/tmp"


def v_nnp_off(b):
    b.process["noNewPrivileges"] = False


def v_oom(b):
    b.process["oomScoreAdj"] = 250


def v_sysctl(b):
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}


def v_devices(b):
    b.linux["devices"] = [{"path": "/dev/arcatest0", "type": "c", "major": 1, "minor": 5,
                           "fileMode": 0o600, "uid": 1000, "gid": 1000}]


def v_userns(b):
    b.add_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def v_host_net(b):
    b.remove_namespace("network")


def v_cgroupns(b):
    b.add_namespace("cgroup")


VARIANTS = {
    "default": v_default, "rw_root": v_rw_root, "caps_root": v_caps_root,
    "caps_user": v_caps_user, "caps_empty": v_caps_empty, "user_groups": v_user_groups,
    "rlimits": v_rlimits, "masked_readonly": v_masked_readonly, "mounts": v_mounts,
    "hostname": v_hostname, "env_cwd": v_env_cwd, "nnp_off": v_nnp_off, "oom": v_oom,
    "sysctl": v_sysctl, "devices": v_devices, "userns": v_userns, "host_net": v_host_net,
    "cgroupns": v_cgroupns,
}

CHECKS = ["write", "/newfile", "write", "/tmp/x", "write", "/etc/x", "write", "/mnt/rw/x",
          "ls", "/", "ls", "/dev", "ls", "/data", "ls", "/mnt", "stat", "/dev/null",
          "stat", "/dev/arcatest0", "stat", "/mnt/t", "stat", "/etc/f", "read", "/etc/secret",
          "read", "/etc/f", "read", "/proc/self/uid_map", "sysctl", "net.ipv4.ip_forward",
          "sysctl", "kernel.msgmax", "exec", "/mnt/rw/busybox", "read", "/proc/keys"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_same_report_as_runc(probe, rt, ref, variant):
    host = arcatest.host_ns()
    reports = {}
    for who, runtime in (("ref", ref), ("rt", rt)):
        rep = probe(VARIANTS[variant], *CHECKS, runtime=runtime)
        reports[who] = normalise.normalise(rep, host)
    differences = normalise.diff(reports["ref"], reports["rt"])
    assert not differences, (f"{rt.name} differs from runc (left=runc, right={rt.name}):\n  "
                             + "\n  ".join(differences))


def test_normaliser_keeps_real_differences():
    base = {"pid": 1, "ppid": 0, "uid": [0, 0, 0], "caps": {"CapEff": "00"},
            "fds": {"0": "pipe:[1]"}, "ns": {"net": "net:[1]"}, "cgroup": "0::/a",
            "mounts": [{"id": 1, "parent": 0, "root": "/", "mountpoint": "/", "options": "ro",
                        "optional": ["shared:3"], "fstype": "ext4", "source": "/dev/x",
                        "super_options": "rw"}],
            "checks": [], "_bundle": "/b1", "_id": "id1", "cwd": "/b1/x"}
    other = copy.deepcopy(base)
    other.update(fds={"0": "pipe:[2]"}, ns={"net": "net:[2]"}, cgroup="0::/b",
                 _bundle="/b2", _id="id2", cwd="/b2/x")
    other["mounts"][0].update(id=7, parent=5, optional=["shared:9"])
    host = {"net": "net:[0]"}
    assert normalise.diff(normalise.normalise(base, host), normalise.normalise(other, host)) == []
    other["caps"] = {"CapEff": "01"}
    other["mounts"][0]["options"] = "rw"
    d = normalise.diff(normalise.normalise(base, host), normalise.normalise(other, host))
    assert len(d) == 2 and any("CapEff" in x for x in d) and any("options" in x for x in d)
