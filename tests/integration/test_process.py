"""process.* settings as seen from inside the container (via the probe)."""
import json
import os
import subprocess

import pytest

import arcatest
from arcatest import check, new_id

CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]


def mask(names):
    m = 0
    for n in names:
        m |= 1 << CAPS.index(n)
    return m


def hexcap(m):
    return "%016x" % m


def host_bounding():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    return 0


def test_args_env_cwd(probe):
    def mut(b):
        b.process["env"] = ["PATH=/bin", "FOO=bar", "SPACED=a b  c", "EMPTY=", "HOME=/root"]
        b.process["cwd"] = "/tmp"
    rep = probe(mut, "arg with space", "", "ü")
    assert rep["argv"] == ["/probe", "arg with space", "", "\u00c3\u00bc"]  # bytes escaped
    assert rep["env"] == ["PATH=/bin", "FOO=bar", "SPACED=a b  c", "EMPTY=", "HOME=/root"]
    assert rep["cwd"] == "/tmp"
    assert rep["pid"] == 1
    assert rep["ppid"] == 0


def test_args_path_lookup(run_container):
    # a bare name is looked up in the container's PATH (process.env)
    p = run_container(lambda b: b.process.update(env=["PATH=/bin"]), ["sh", "-c", "echo $PATH"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "/bin\n"


def test_home_defaults_from_container_passwd(probe):
    # runc behaviour (not in the OCI spec): HOME is added when absent, from
    # the container's /etc/passwd entry of process.user.uid.
    def mut(b):
        b.process["env"] = ["PATH=/bin"]
        b.process["user"] = {"uid": 1000, "gid": 1000}
    rep = probe(mut)
    assert "HOME=/home/user" in rep["env"]


def test_cwd_created_if_missing(probe):
    def mut(b):
        b.process["cwd"] = "/does/not/exist"
        b.config["root"]["readonly"] = False
    rep = probe(mut)
    assert rep["cwd"] == "/does/not/exist"


def test_user_uid_gid_groups_umask(probe):
    def mut(b):
        b.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 65534, 1001],
                             "umask": 0o027}
    rep = probe(mut)
    assert rep["uid"] == [1000, 1000, 1000]
    assert rep["gid"] == [1001, 1001, 1001]
    assert sorted(rep["groups"]) == [5, 1001, 65534]
    assert rep["umask"] == "0027"


def test_user_without_additional_gids_has_no_groups(probe):
    rep = probe(lambda b: b.process.update(user={"uid": 1000, "gid": 1000}))
    assert rep["uid"] == [1000, 1000, 1000]
    assert rep["gid"] == [1000, 1000, 1000]
    assert rep["groups"] in ([], [1000])
    assert rep["umask"] == "0022"  # runtime default


def test_root_user_default(probe):
    rep = probe()
    assert rep["uid"] == [0, 0, 0]
    assert rep["gid"] == [0, 0, 0]
    assert rep["groups"] in ([], [0])
    assert rep["umask"] == "0022"


def test_hostname(probe):
    rep = probe(lambda b: b.config.update(hostname="arca-host"))
    assert rep["hostname"] == "arca-host"
    assert os.uname().nodename != "arca-host"


@pytest.mark.arca_only
def test_domainname(probe):
    # runc 1.1.5 silently ignores "domainname" (supported from runc 1.2).
    def mut(b):
        b.config["hostname"] = "arca-host"
        b.config["domainname"] = "example.org"
    rep = probe(mut)
    assert rep["hostname"] == "arca-host"
    assert rep["domainname"] == "example.org"


def test_rlimits(probe):
    def mut(b):
        b.process["rlimits"] = [
            {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
            {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
            {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600},
            {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192},
        ]
    rep = probe(mut)
    rl = rep["rlimits"]
    assert rl["RLIMIT_NOFILE"] == [100, 200]
    assert rl["RLIMIT_CORE"] == [0, 0]
    assert rl["RLIMIT_NPROC"] == [500, 600]
    assert rl["RLIMIT_MSGQUEUE"] == [4096, 8192]


def test_rlimits_default_config(probe, base_config):
    rep = probe()
    for r in base_config["process"].get("rlimits", []):
        assert rep["rlimits"][r["type"]] == [r["soft"], r["hard"]]


def test_unset_rlimits_are_inherited(probe):
    import resource
    rep = probe(lambda b: b.process.update(rlimits=[]))
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    conv = lambda v: -1 if v == resource.RLIM_INFINITY else v  # noqa: E731
    assert rep["rlimits"]["RLIMIT_STACK"] == [conv(soft), conv(hard)]


def test_oom_score_adj(probe):
    rep = probe(lambda b: b.process.update(oomScoreAdj=500))
    assert rep["oom_score_adj"] == 500


def _caps_config(bounding, effective, permitted, inheritable, ambient):
    return {"bounding": bounding, "effective": effective, "permitted": permitted,
            "inheritable": inheritable, "ambient": ambient}


# the host's bounding set may lack some caps (here: CAP_SYS_RESOURCE), so only
# caps the host has are used
CAPSET_B = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID"]
CAPSET_P = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID"]
CAPSET_E = ["CAP_KILL", "CAP_NET_RAW"]
CAPSET_I = ["CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"]
CAPSET_A = ["CAP_KILL", "CAP_NET_RAW"]


def test_capabilities_non_root_all_five_sets(probe):
    # For a non-root process exec'ing a file without file caps the kernel
    # computes: P' = E' = ambient, I' = I, B' = B, A' = A.
    def mut(b):
        b.process["user"] = {"uid": 1000, "gid": 1000}
        b.process["capabilities"] = _caps_config(CAPSET_B, CAPSET_E, CAPSET_P, CAPSET_I, CAPSET_A)
    rep = probe(mut)
    c = rep["caps"]
    assert c["CapBnd"] == hexcap(mask(CAPSET_B))
    assert c["CapInh"] == hexcap(mask(CAPSET_I))
    assert c["CapAmb"] == hexcap(mask(CAPSET_A))
    assert c["CapPrm"] == hexcap(mask(CAPSET_A))
    assert c["CapEff"] == hexcap(mask(CAPSET_A))


@pytest.mark.parametrize("nnp", [True, False])
def test_capabilities_root_all_five_sets(probe, nnp):
    # For uid 0 exec gives P' = E' = B | I (| A), I' = I, B' = B, A' = A;
    # with no_new_privs set the kernel additionally caps P' to the old P.
    def mut(b):
        b.process["noNewPrivileges"] = nnp
        b.process["capabilities"] = _caps_config(CAPSET_B, CAPSET_E, CAPSET_P, CAPSET_I, CAPSET_A)
    rep = probe(mut)
    c = rep["caps"]
    full = mask(CAPSET_B) | mask(CAPSET_I) | mask(CAPSET_A)
    if nnp:
        full &= mask(CAPSET_P)
    assert c["CapBnd"] == hexcap(mask(CAPSET_B))
    assert c["CapInh"] == hexcap(mask(CAPSET_I))
    assert c["CapAmb"] == hexcap(mask(CAPSET_A))
    assert c["CapPrm"] == hexcap(full)
    assert c["CapEff"] == hexcap(full)


def test_capabilities_empty(probe):
    rep = probe(lambda b: b.process.update(capabilities={}))
    for k in ("CapBnd", "CapInh", "CapAmb", "CapPrm", "CapEff"):
        assert rep["caps"][k] == "0" * 16, k


def test_capabilities_default_config(probe, base_config):
    rep = probe()
    want_b = mask(base_config["process"]["capabilities"]["bounding"])
    assert rep["caps"]["CapBnd"] == hexcap(want_b)
    assert rep["caps"]["CapEff"] == hexcap(want_b)


def test_capabilities_all_host_caps(probe):
    hb = host_bounding()
    names = [n for i, n in enumerate(CAPS) if hb & (1 << i)]
    def mut(b):
        b.process["capabilities"] = _caps_config(names, names, names, [], [])
    rep = probe(mut)
    assert rep["caps"]["CapBnd"] == hexcap(mask(names))
    assert rep["caps"]["CapEff"] == hexcap(mask(names))


def test_capability_effective_in_practice(run_container):
    # without CAP_CHOWN root cannot chown a file it does not own... use
    # sethostname: needs CAP_SYS_ADMIN
    def mut(b):
        b.process["capabilities"] = _caps_config(["CAP_KILL"], ["CAP_KILL"], ["CAP_KILL"], [], [])
    p = run_container(mut, ["hostname", "changed"])
    assert p.returncode != 0


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(probe, nnp):
    rep = probe(lambda b: b.process.update(noNewPrivileges=nnp))
    assert rep["no_new_privs"] == (1 if nnp else 0)


def test_no_seccomp_without_config(probe):
    rep = probe()
    assert rep["seccomp"] == 0


def test_signals_reset(probe):
    rep = probe()
    assert int(rep["sigblk"], 16) == 0
    assert int(rep["sigign"], 16) == 0


def test_sysctl_namespaced(probe):
    def mut(b):
        b.linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789",
                             "net.ipv4.ping_group_range": "0 0"}
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host_fwd = f.read()
    with open("/proc/sys/kernel/shmmax") as f:
        host_shm = f.read()
    rep = probe(mut, "sysctl", "net.ipv4.ip_forward", "sysctl", "kernel.shmmax",
                "sysctl", "net.ipv4.ping_group_range")
    assert check(rep, "sysctl", "net.ipv4.ip_forward")["value"] == "1"
    assert check(rep, "sysctl", "kernel.shmmax")["value"] == "123456789"
    assert check(rep, "sysctl", "net.ipv4.ping_group_range")["value"].split() == ["0", "0"]
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == host_fwd
    with open("/proc/sys/kernel/shmmax") as f:
        assert f.read() == host_shm


@pytest.mark.parametrize("key,ns", [("vm.swappiness", None), ("net.ipv4.ip_forward", "network"),
                                    ("kernel.shmmax", "ipc")])
def test_sysctl_not_namespaced_refused(run_container, key, ns):
    before = open("/proc/sys/" + key.replace(".", "/")).read()

    def mut(b):
        if ns:
            b.remove_namespace(ns)
        b.linux["sysctl"] = {key: before.strip()}
    p = run_container(mut, ["true"])
    assert p.returncode != 0
    assert open("/proc/sys/" + key.replace(".", "/")).read() == before


@pytest.mark.parametrize("path", ["/nonexistent-binary", "/etc/passwd", "/etc"])
def test_bad_binary_fails(run_container, path):
    p = run_container(args=[path])
    assert p.returncode != 0
    assert path in p.stderr


def test_bad_binary_fails_at_create(rt, make_bundle):
    b = make_bundle(lambda b: b.set_args("/nonexistent-binary"))
    cid = new_id()
    p = rt.create(cid, b)
    assert p.returncode != 0
    assert "/nonexistent-binary" in p.stderr
    assert rt.state(cid) is None


@pytest.mark.arca_only
def test_bad_binary_error_text(run_container):
    p = run_container(args=["/nonexistent-binary"])
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f'arca: run "{p.cid}": ')
    assert "/nonexistent-binary" in lines[0]


def test_only_stdio_fds(probe):
    rep = probe()
    assert sorted(rep["fds"], key=int) == ["0", "1", "2"]
    # runc's foreground `run` relays stdio through its own pipes (also stdin)
    assert rep["fds"]["0"] == "/dev/null" or rep["fds"]["0"].startswith("pipe:")
    assert rep["fds"]["1"].startswith("pipe:")
    assert rep["fds"]["2"].startswith("pipe:")


def test_stdin_passthrough(run_container):
    p = run_container(args=["cat"], input="hello from stdin\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello from stdin\n"


def _run_with_fds(rt, bundle, cid, extra_args, env_extra=None, listen=False):
    """Runs `run` with host files on fds 3 and 4 (via sh redirections)."""
    f3 = os.path.join(bundle.dir, "fd3")
    f4 = os.path.join(bundle.dir, "fd4")
    for f in (f3, f4):
        open(f, "w").close()
    bundle.write_config()
    rt.track(cid)
    env = dict(os.environ, F3=f3, F4=f4, **(env_extra or {}))
    script = ('exec "$@" 3<"$F3" 4>"$F4"' if not listen
              else 'LISTEN_PID=$$ exec "$@" 3<"$F3" 4>"$F4"')
    p = subprocess.run(["/bin/sh", "-c", script, "sh",
                        *rt.argv("run", "--bundle", bundle.dir, *extra_args, cid)],
                       capture_output=True, text=True, env=env, timeout=60,
                       stdin=subprocess.DEVNULL)
    return p, f3, f4


def test_extra_fds_not_leaked_without_preserve(rt, make_bundle):
    b = make_bundle()
    p, f3, f4 = _run_with_fds(rt, b, new_id(), [])
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2"]


def test_preserve_fds(rt, make_bundle):
    b = make_bundle()
    p, f3, f4 = _run_with_fds(rt, b, new_id(), ["--preserve-fds", "2"])
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2", "3", "4"]
    assert rep["fds"]["3"] == f3
    assert rep["fds"]["4"] == f4


def test_preserve_fds_one(rt, make_bundle):
    b = make_bundle()
    p, f3, f4 = _run_with_fds(rt, b, new_id(), ["--preserve-fds", "1"])
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2", "3"]
    assert rep["fds"]["3"] == f3


def test_listen_fds(rt, make_bundle):
    # socket activation: LISTEN_FDS=N (with LISTEN_PID = runtime's pid) passes
    # fds 3..3+N-1 and sets LISTEN_FDS=N, LISTEN_PID=1 in the container env.
    b = make_bundle()
    p, f3, f4 = _run_with_fds(rt, b, new_id(), [], env_extra={"LISTEN_FDS": "2"}, listen=True)
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2", "3", "4"]
    assert rep["fds"]["3"] == f3 and rep["fds"]["4"] == f4
    assert "LISTEN_FDS=2" in rep["env"]
    assert "LISTEN_PID=1" in rep["env"]


def test_runtime_env_not_leaked(rt, make_bundle):
    b = make_bundle()
    cid = new_id()
    rt.track(cid)
    b.write_config()
    env = dict(os.environ, ARCATEST_SECRET="leak")
    p = subprocess.run(rt.argv("run", "--bundle", b.dir, cid), capture_output=True,
                       text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert not any(e.startswith("ARCATEST_SECRET") for e in rep["env"])
    assert not any(e.startswith("_LIBCONTAINER") for e in rep["env"])


def test_created_process_has_config_env_only(rt, make_bundle):
    # create/start path: output goes to the files given to `create`
    b = make_bundle(lambda b: b.process.update(env=["PATH=/bin", "A=1"]))
    cid = new_id()
    c = rt.create(cid, b)
    assert c.returncode == 0, c.stderr
    assert rt.start(cid).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"
    rep = arcatest.parse_probe(c.stdout)
    assert rep["env"][:2] == ["PATH=/bin", "A=1"]
    assert rt.delete(cid).returncode == 0


def test_preserve_fds_beyond_what_was_passed_leaks_nothing_of_the_runtime(rt, make_bundle):
    # --preserve-fds 8 with only fds 3 and 4 passed: 5..10 are free when the runtime starts,
    # so its own fds (state dir, cgroup files, sockets) land there. None may reach the
    # container (a host directory fd there is a CVE-2024-21626-style way out).
    b = make_bundle()
    p, f3, f4 = _run_with_fds(rt, b, new_id(), ["--preserve-fds", "8"])
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2", "3", "4"], rep["fds"]
