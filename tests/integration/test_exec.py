"""exec: a new process in a running container.

The probe runs through `exec` and reports what it sees; the container's init
(`sleep 1000`) is inspected from the host (/proc/INIT/...) for comparison.
Where runc behaves the same, the test runs against it too (RUNTIME=runc);
arca's wording and arca-only guarantees are marked arca_only.
"""
import json
import os
import signal
import subprocess
import threading
import time

import pytest

import arcatest
from arcatest import new_id

SLEEP = ["sleep", "1000"]
CAP_SYS_ADMIN = 21


def deny_mkdir(nnp):
    def mutate(b):
        b.process["noNewPrivileges"] = nnp
        b.linux["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                          "errnoRet": 1}],
        }
    return mutate


def rw_root(b):
    b.config["root"]["readonly"] = False


@pytest.fixture
def running(rt, make_bundle):
    """running(mutator=None, start=True) -> (cid, bundle, init pid): a container whose init
    sleeps; created only (not started) with start=False."""

    def factory(mutator=None, start=True):
        def mut(b):
            b.set_args(*SLEEP)
            if mutator:
                mutator(b)
        b = make_bundle(mut)
        cid = new_id()
        p = rt.run_detached(cid, b) if start else rt.create(cid, b)
        assert p.returncode == 0, p.stderr
        return cid, b, rt.state(cid)["pid"]

    return factory


def run_exec(rt, *args, **kw):
    return rt.cmd("exec", *args, **kw)


def exec_detached(rt, *args):
    """`exec -d ARGS`: the process keeps the stdio it is given, so not our pipes."""
    p = subprocess.run(rt.argv("exec", "-d", *args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
    return p


def probe_exec(rt, cid, *flags, checks=()):
    p = run_exec(rt, *flags, cid, "/probe", *checks)
    assert p.returncode == 0, p.stderr
    return arcatest.parse_probe(p.stdout)


def one_error_line(p, cid):
    lines = p.stderr.strip().splitlines()
    assert p.returncode != 0
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f'arca: exec "{cid}": '), lines[0]
    return lines[0]


def host_ns(pid):
    res = {}
    for n in os.listdir(f"/proc/{pid}/ns"):
        res[n] = os.readlink(f"/proc/{pid}/ns/{n}")
    return res


def status_fields(pid, *names):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in names:
                out[k] = v.strip()
    return out


def others_in_pidns(init):
    """Processes of the init's pid namespace other than the init: what an exec left."""
    ns = os.readlink(f"/proc/{init}/ns/pid")
    res = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != init:
            try:
                if os.readlink(f"/proc/{d}/ns/pid") == ns:
                    res.append(int(d))
            except OSError:
                pass
    return res


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


# ------------------------------------------------------------------ namespaces, cgroups
def test_joins_every_namespace_of_the_init(rt, running):
    cid, b, init = running()
    rep = probe_exec(rt, cid)
    theirs = host_ns(init)
    assert rep["ns"] == theirs
    # ... and they are the container's own, not ours
    assert rep["ns"]["mnt"] != arcatest.host_ns()["mnt"]
    assert rep["ns"]["pid"] != arcatest.host_ns()["pid"]


def test_joins_user_and_cgroup_namespaces(rt, running):
    def userns(b):
        b.add_namespace("user")
        b.add_namespace("cgroup")
        b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        b.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cid, b, init = running(userns)
    rep = probe_exec(rt, cid)
    assert rep["ns"] == host_ns(init)
    assert rep["uid"] == [0, 0, 0]
    assert rep["uid_map"].split() == ["0", "100000", "65536"]
    # the init's cgroup is the root of the joined cgroup namespace
    assert all(line.endswith(":/") for line in rep["cgroup"].splitlines()), rep["cgroup"]


def test_child_inside_the_pid_namespace(rt, running):
    cid, b, init = running()
    rep = probe_exec(rt, cid, checks=["read", "/proc/1/cmdline", "ls", "/proc"])
    assert arcatest.check(rep, "read", "/proc/1/cmdline")["data"] == "sleep\x001000\x00"
    assert rep["pid"] > 1
    assert str(rep["pid"]) in arcatest.check(rep, "ls", "/proc")["entries"]
    assert rep["ppid"] == 0  # its parent (the runtime) is outside the namespace


def test_same_cgroups_as_the_init(rt, running, tmp_path):
    def cgroupns(b):
        b.add_namespace("cgroup")
    for mutator in (None, cgroupns):
        cid, b, init = running(mutator)
        pid_file = str(tmp_path / f"{cid}.pid")
        p = exec_detached(rt, "--pid-file", pid_file, cid, "sh", "-c", "exec 2>&-; sleep 1000")
        assert p.returncode == 0, p.stderr
        pid = int(open(pid_file).read())
        try:
            with open(f"/proc/{pid}/cgroup") as f, open(f"/proc/{init}/cgroup") as g:
                assert f.read() == g.read()
            assert host_ns(pid) == host_ns(init)
        finally:
            os.kill(pid, signal.SIGKILL)


def cgroup2_mount():
    """The cgroup2 mount point (v2 or hybrid host), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                return fields[4]
    return None


@pytest.mark.arca_only
def test_joins_the_inits_cgroup2_leaf(rt, running):
    # On cgroup v2 only leaves hold processes: a container that moved its init into a
    # sub-cgroup (and may enable controllers for its children) gets exec'd processes
    # there. delete must remove the sub-cgroup too.
    mount = cgroup2_mount()
    if mount is None:
        pytest.skip("no cgroup2 hierarchy")
    cid, b, init = running()
    with open(f"/proc/{init}/cgroup") as f:
        path = [l[3:].strip() for l in f if l.startswith("0::")][0]
    container = mount + path
    if os.path.basename(container) != cid:
        pytest.skip(f"the container has no cgroup2 directory of its own ({path})")
    leaf = os.path.join(container, "leaf")
    os.mkdir(leaf)
    with open(os.path.join(leaf, "cgroup.procs"), "w") as f:
        f.write(str(init))
    p = run_exec(rt, cid, "cat", "/proc/self/cgroup")
    assert p.returncode == 0, p.stderr
    assert f"0::{path}/leaf\n" in p.stdout
    assert rt.delete(cid, force=True).returncode == 0
    assert not os.path.exists(container)


# ------------------------------------------------------------------ security
@pytest.mark.parametrize("nnp", [True, False])
def test_security_same_as_the_init(rt, running, nnp):
    def mutate(b):
        deny_mkdir(nnp)(b)
        b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 128}]
    cid, b, init = running(mutate)
    rep = probe_exec(rt, cid, checks=["mkdir", "/dev/shm/x"])
    want = status_fields(init, "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                         "Seccomp")
    assert rep["caps"] == {k: want[k] for k in rep["caps"]}
    assert rep["no_new_privs"] == int(want["NoNewPrivs"]) == (1 if nnp else 0)
    assert rep["seccomp"] == int(want["Seccomp"]) == 2
    assert arcatest.check(rep, "mkdir", "/dev/shm/x")["result"] == "EPERM"
    if rt.name == "arca":
        # runc 1.1.5's exec'd process now and then gets [128, 128]: its Go runtime raises
        # the soft NOFILE limit to the hard one, racing runc's own setrlimit.
        assert rep["rlimits"]["RLIMIT_NOFILE"] == [64, 128]


def test_oom_score_adj_is_the_containers(rt, running):
    cid, b, init = running(lambda b: b.process.update(oomScoreAdj=250))
    assert probe_exec(rt, cid)["oom_score_adj"] == 250


def test_cap_adds_a_capability(rt, running):
    cid, b, init = running()
    before = probe_exec(rt, cid)
    rep = probe_exec(rt, cid, "--cap", "CAP_SYS_ADMIN")
    bit = 1 << CAP_SYS_ADMIN
    for s in ("CapBnd", "CapEff", "CapPrm"):
        assert not int(before["caps"][s], 16) & bit
        assert int(rep["caps"][s], 16) == int(before["caps"][s], 16) | bit
    assert int(rep["caps"]["CapInh"], 16) == 0


def test_no_new_privs_flag(rt, running):
    cid, b, init = running(lambda b: b.process.update(noNewPrivileges=False))
    assert probe_exec(rt, cid)["no_new_privs"] == 0
    assert probe_exec(rt, cid, "--no-new-privs")["no_new_privs"] == 1


# ------------------------------------------------------------------ the process
def test_user_groups_and_home(rt, running):
    cid, b, init = running()
    rep = probe_exec(rt, cid, "-u", "1000:1000", "--additional-gids", "5",
                     "--additional-gids", "7")
    assert rep["uid"] == [1000, 1000, 1000]
    assert rep["gid"] == [1000, 1000, 1000]
    assert sorted(rep["groups"]) == [5, 7]
    assert "HOME=/home/user" in rep["env"]
    rep = probe_exec(rt, cid, "--user", "1000")
    assert rep["uid"] == [1000, 1000, 1000]
    assert rep["gid"] == [0, 0, 0]  # the config's gid


def test_cwd_and_env(rt, running):
    cid, b, init = running(lambda b: b.process.update(env=["PATH=/bin", "KEEP=1", "A=old"]))
    rep = probe_exec(rt, cid, "--cwd", "/tmp", "-e", "A=new", "-e", "B=2")
    assert rep["cwd"] == "/tmp"
    assert [e for e in rep["env"] if not e.startswith("HOME=")] == [
        "PATH=/bin", "KEEP=1", "A=new", "B=2"]
    assert probe_exec(rt, cid)["cwd"] == "/"


def test_cwd_missing_is_an_error(rt, running):
    cid, b, init = running()
    p = run_exec(rt, "--cwd", "/nonexistent", cid, "true")
    assert p.returncode != 0
    assert others_in_pidns(init) == []


def test_process_json(rt, running, tmp_path):
    cid, b, init = running()
    spec = {"args": ["/probe"], "env": ["PATH=/bin", "FROM=json"], "cwd": "/tmp",
            "user": {"uid": 1000, "gid": 1000}}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(spec))
    p = run_exec(rt, "--process", str(path), cid)
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert rep["argv"] == ["/probe"]
    assert "FROM=json" in rep["env"]
    assert rep["cwd"] == "/tmp"
    assert rep["uid"] == [1000, 1000, 1000]


@pytest.mark.arca_only
def test_exec_uses_the_config_of_create(rt, running):
    # A later edit of the bundle changes no process of the container: arca (like crun)
    # keeps config.json from create. runc 1.1 re-reads the bundle's for the process
    # defaults (env, cwd, user, capabilities) and keeps only the rest from create.
    cid, b, init = running(lambda b: b.process.update(env=["PATH=/bin", "ORIGINAL=1"]))
    b.process["env"] = ["PATH=/bin", "EDITED=1"]
    b.write_config()
    rep = probe_exec(rt, cid)
    assert "ORIGINAL=1" in rep["env"]
    assert "EDITED=1" not in rep["env"]


def test_exec_into_a_created_container(rt, running):
    # runc and crun allow it: the init's namespaces exist while it waits for `start`.
    cid, b, init = running(start=False)
    assert rt.status(cid) == "created"
    rep = probe_exec(rt, cid)
    assert rep["ns"] == host_ns(init)
    assert rt.status(cid) == "created"


# ------------------------------------------------------------------ exit status, signals
def test_exit_status_passes_through(rt, running):
    cid, b, init = running()
    assert run_exec(rt, cid, "sh", "-c", "exit 7").returncode == 7
    assert run_exec(rt, cid, "true").returncode == 0
    assert run_exec(rt, cid, "sh", "-c", "kill -9 $$").returncode == 137


def test_stdin_and_stdout_are_the_callers(rt, running):
    cid, b, init = running()
    p = run_exec(rt, cid, "cat", input="through exec\n", stdin=None)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "through exec\n"


def test_signals_are_forwarded(rt, running):
    cid, b, init = running(rw_root)
    ready = os.path.join(b.rootfs, "tmp", "ready")
    p = subprocess.Popen(
        rt.argv("exec", cid, "sh", "-c",
                "trap 'exit 42' TERM; touch /tmp/ready; while :; do sleep 0.1; done"),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: os.path.exists(ready)), "the exec'd shell did not start"
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 42
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_detach_and_pid_file(rt, running, tmp_path):
    cid, b, init = running()
    pid_file = str(tmp_path / "exec.pid")
    out = tmp_path / "out"
    with open(out, "w") as o, open(tmp_path / "err", "w") as e:
        p = subprocess.run(rt.argv("exec", "-d", "--pid-file", pid_file, cid, "sh", "-c",
                                   "echo detached-out; exec sleep 1000"),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=60)
    assert p.returncode == 0, (tmp_path / "err").read_text()
    assert sorted(os.listdir(tmp_path)) == ["err", "exec.pid", "out"]  # no temp file left
    pid = int(open(pid_file).read())
    try:
        # stdio is the caller's: the output went to our file
        assert wait_for(lambda: out.read_text() == "detached-out\n")
        assert wait_for(lambda: open(f"/proc/{pid}/cmdline").read() == "sleep\x001000\x00")
        assert host_ns(pid)["pid"] == host_ns(init)["pid"]
        # no runtime process left behind: the process was handed to a reaper
        ppid = int(status_fields(pid, "PPid")["PPid"])
        with open(f"/proc/{ppid}/cmdline", "rb") as f:
            parent = f.read().split(b"\0")[0].decode()
        assert os.path.basename(parent) != os.path.basename(rt.binary), parent
    finally:
        os.kill(pid, signal.SIGKILL)


# ------------------------------------------------------------------ errors
def test_stopped_container(rt, make_bundle):
    b = make_bundle(lambda b: b.set_args("true"))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"
    p = run_exec(rt, cid, "true")
    assert p.returncode != 0
    assert "stopped" in p.stderr


def test_paused_container(rt, running):
    cid, b, init = running()
    assert rt.cmd("pause", cid).returncode == 0
    try:
        p = run_exec(rt, cid, "true")
        assert p.returncode != 0
        assert "paused" in p.stderr
        assert others_in_pidns(init) == []
        # --ignore-paused: the process joins the frozen cgroup and runs once resumed
        result = {}
        t = threading.Thread(target=lambda: result.update(
            p=run_exec(rt, "--ignore-paused", cid, "sh", "-c", "echo thawed")))
        t.start()
        time.sleep(0.5)
        assert "p" not in result, "the process ran in a frozen container"
    finally:
        assert rt.cmd("resume", cid).returncode == 0
    t.join(timeout=30)
    assert result["p"].returncode == 0, result["p"].stderr
    assert result["p"].stdout == "thawed\n"


def test_unknown_container(rt):
    p = run_exec(rt, new_id(), "true")
    assert p.returncode != 0


@pytest.mark.arca_only
def test_error_texts(rt, running, tmp_path):
    cid, b, init = running()
    pid_file = tmp_path / "nope.pid"
    p = run_exec(rt, "--pid-file", str(pid_file), cid, "/bin/nope")
    assert one_error_line(p, cid) == \
        f'arca: exec "{cid}": container process: exec "/bin/nope": No such file or directory'
    assert not pid_file.exists()
    p = run_exec(rt, "--cwd", "/nonexistent", cid, "true")
    assert one_error_line(p, cid) == (f'arca: exec "{cid}": container process: chdir to cwd '
                                      f'"/nonexistent": No such file or directory')
    unknown = new_id()
    assert one_error_line(run_exec(rt, unknown, "true"), unknown) == \
        f'arca: exec "{unknown}": container "{unknown}" does not exist'
    bad = tmp_path / "bad.json"
    bad.write_text('{"args": "sh"}')
    assert one_error_line(run_exec(rt, "--process", str(bad), cid), cid) == \
        f'arca: exec "{cid}": process "{bad}": /args: must be an array of strings'
    bad.write_text('{"args": ["sh"], "cwd": "tmp"}')
    assert one_error_line(run_exec(rt, "--process", str(bad), cid), cid) == \
        f'arca: exec "{cid}": process "{bad}": /cwd: must be an absolute path'
    bad.write_text('{"args": ["sh"')
    assert "invalid JSON" in one_error_line(run_exec(rt, "--process", str(bad), cid), cid)
    assert "--process" in one_error_line(
        run_exec(rt, "--process", str(bad), cid, "true"), cid)
    assert one_error_line(run_exec(rt, "-u", "root", cid, "true"), cid) == \
        f'arca: exec "{cid}": --user "root": must be uid[:gid] (numbers)'
    assert others_in_pidns(init) == []


@pytest.mark.arca_only
def test_paused_and_stopped_texts(rt, running):
    cid, b, init = running()
    assert rt.cmd("pause", cid).returncode == 0
    try:
        assert one_error_line(run_exec(rt, cid, "true"), cid) == (
            f'arca: exec "{cid}": cannot exec in a paused container '
            f'(use --ignore-paused to override)')
    finally:
        rt.cmd("resume", cid)
    rt.kill(cid, "KILL")
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert one_error_line(run_exec(rt, cid, "true"), cid) == \
        f'arca: exec "{cid}": cannot exec in a stopped container'


# ------------------------------------------------------------------ fds and the host
def exec_with_fds(rt, *args, fds, env=None, listen=False):
    """`exec ARGS` with fds 3.. open on the given paths (via sh redirections)."""
    env = dict(os.environ, **(env or {}))
    redirs = []
    for i, path in enumerate(fds):
        env[f"F{i}"] = path
        redirs.append(f'{3 + i}<"$F{i}"')
    script = ("LISTEN_PID=$$ " if listen else "") + 'exec "$@" ' + " ".join(redirs)
    return subprocess.run(["/bin/sh", "-c", script, "sh", *rt.argv("exec", *args)],
                          capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_no_fd_leaks_into_the_process(rt, running):
    cid, b, init = running()
    p = exec_with_fds(rt, cid, "/probe", fds=["/etc/hostname", b.dir])
    assert p.returncode == 0, p.stderr
    assert sorted(arcatest.parse_probe(p.stdout)["fds"], key=int) == ["0", "1", "2"]


def test_preserve_fds(rt, running):
    cid, b, init = running()
    p = exec_with_fds(rt, "--preserve-fds", "1", cid, "/probe", fds=["/etc/hostname", b.dir])
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2", "3"]
    assert rep["fds"]["3"] == "/etc/hostname"


@pytest.mark.arca_only
def test_listen_fds(rt, running):
    cid, b, init = running()
    p = exec_with_fds(rt, cid, "/probe", fds=["/etc/hostname"], env={"LISTEN_FDS": "1"},
                      listen=True)
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert sorted(rep["fds"], key=int) == ["0", "1", "2", "3"]
    assert "LISTEN_FDS=1" in rep["env"]
    # sd_listen_fds() compares LISTEN_PID with getpid(): the process's own pid
    assert f"LISTEN_PID={rep['pid']}" in rep["env"]


@pytest.mark.arca_only
def test_cwd_cannot_escape_through_an_inherited_fd(rt, running):
    # CVE-2024-21626: a host directory open in the runtime must not become the cwd.
    cid, b, init = running()
    p = exec_with_fds(rt, "--cwd", "/proc/self/fd/3", cid, "/probe", fds=[b.dir])
    assert p.returncode != 0, p.stdout
    assert "chdir to cwd" in p.stderr
    # Handed over on purpose, the fd is the process's, but the cwd still must not leave.
    p = exec_with_fds(rt, "--preserve-fds", "1", "--cwd", "/proc/self/fd/3", cid, "/probe",
                      fds=[b.dir])
    assert p.returncode != 0, p.stdout
    assert one_error_line(p, cid) == (f'arca: exec "{cid}": container process: cwd '
                                      f'"/proc/self/fd/3" is outside the container: '
                                      f'Operation not permitted')
    assert others_in_pidns(init) == []


@pytest.mark.arca_only
def test_non_dumpable_until_execve(rt, running):
    # The exec'd process is arca until execve, inside the container's pid namespace: nothing
    # in the container may open its /proc/PID/exe (CVE-2019-5736 class). It is caught
    # before execve by making its HOME lookup block: /etc/passwd is a fifo.
    cid, b, init = running()
    passwd = os.path.join(b.rootfs, "etc", "passwd")
    os.rename(passwd, passwd + ".real")
    os.mkfifo(passwd, 0o666)
    p = subprocess.Popen(rt.argv("exec", cid, "true"), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def blocked_child():
            for d in os.listdir("/proc"):
                try:
                    if d.isdigit() and int(status_fields(int(d), "PPid")["PPid"]) == p.pid:
                        return int(d)
                except (OSError, KeyError):
                    pass
            return None
        assert wait_for(lambda: blocked_child() is not None)
        child = blocked_child()
        inner = status_fields(child, "NSpid")["NSpid"].split()[-1]
        rep = probe_exec(rt, cid, "-e", "HOME=/", checks=["read", f"/proc/{inner}/exe"])
        assert arcatest.check(rep, "read", f"/proc/{inner}/exe")["result"] == "EACCES"
        # the process's own files are root's while it is non-dumpable
        assert os.stat(f"/proc/{child}/environ").st_uid == 0
    finally:
        with open(passwd, "w") as f:  # releases the blocked open
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        rc = p.wait(timeout=30)
        os.unlink(passwd)
        os.rename(passwd + ".real", passwd)
    assert rc == 0, p.stderr.read()


# ------------------------------------------------------------------ differential
FLAG_SETS = {
    "plain": [],
    "user": ["-u", "1000:1000", "--additional-gids", "5"],
    "env_cwd": ["-e", "A=1", "-e", "PATH=/bin", "--cwd", "/tmp"],
    "cap_nnp": ["--cap", "CAP_SYS_ADMIN", "--no-new-privs"],
}
COMPARED = ["uid", "gid", "groups", "umask", "cwd", "caps", "no_new_privs", "seccomp",
            "rlimits", "env", "argv", "sigblk", "sigign", "ppid", "oom_score_adj"]


@pytest.mark.differential
@pytest.mark.parametrize("flags", sorted(FLAG_SETS))
def test_same_process_as_runc(rt, ref, make_bundle, flags):
    reports = []
    for runtime in (rt, ref):
        b = make_bundle(lambda b: (b.set_args(*SLEEP), b.process.update(noNewPrivileges=False),
                                   deny_mkdir(False)(b)))
        cid = new_id()
        assert runtime.run_detached(cid, b).returncode == 0
        rep = probe_exec(runtime, cid, *FLAG_SETS[flags])
        reports.append({k: rep[k] for k in COMPARED})
    assert reports[0] == reports[1]
