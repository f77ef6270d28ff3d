"""What users do with containers, through real Podman and containerd, with the runtime under
test underneath. Each test runs once per engine (the `engine` fixture's params)."""
import os
import secrets
import time

import pytest

import hostcheck

MiB = 1024 * 1024


def out(p):
    return f"exit {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}"


def test_echo(eng):
    p = eng.run(["echo", "hello from", "busybox"])
    assert p.returncode == 0, out(p)
    assert p.stdout == "hello from busybox\n", out(p)


def test_exit_code(eng):
    p = eng.run(["sh", "-c", "exit 7"])
    assert p.returncode == 7, out(p)


def test_env(eng):
    p = eng.run(["env"], env={"ARCA_GREETING": "hi there"})
    assert p.returncode == 0, out(p)
    lines = p.stdout.splitlines()
    assert "ARCA_GREETING=hi there" in lines, out(p)
    assert any(x.startswith("PATH=") and "/bin" in x for x in lines), out(p)  # image config


def test_stdin(eng):
    # One line, not until EOF: ctr does not close the task's stdin when its own ends.
    p = eng.run(["sh", "-c", "read line; echo \"got: $line\""], input="through stdin\n")
    assert p.returncode == 0, out(p)
    assert "got: through stdin" in p.stdout, out(p)


@pytest.mark.needs("terminal")
def test_tty(eng):
    rc, text = eng.run_tty(["sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo both-tty"])
    assert rc == 0, text
    assert "/dev/pts/" in text and "both-tty" in text, text


@pytest.mark.needs("exec")
def test_detach_exec_stop_rm(eng):
    name = eng.start()
    assert eng.status(name) == "running"
    p = eng.exec(name, ["sh", "-c", "echo exec-ok; cat /proc/1/cmdline | tr '\\0' ' '"])
    assert p.returncode == 0, out(p)
    assert "exec-ok" in p.stdout and "trap" in p.stdout, out(p)  # same pid namespace
    p = eng.exec(name, ["sh", "-c", "exit 5"])
    assert p.returncode == 5, out(p)
    p = eng.stop(name)
    assert p.returncode == 0, out(p)
    eng.wait_status(name, "stopped")
    p = eng.remove(name)
    assert p.returncode == 0, out(p)
    assert name not in eng.ids()


@pytest.mark.needs("exec", "terminal")
def test_exec_tty(eng):
    name = eng.start()
    rc, text = eng.exec_tty(name, ["sh", "-c", "tty; [ -t 0 ] && echo exec-tty"])
    assert rc == 0, text
    assert "/dev/pts/" in text and "exec-tty" in text, text


@pytest.mark.needs("exec")
def test_exec_user(eng):
    name = eng.start()
    p = eng.exec(name, ["id"], user="1000:1000")
    assert p.returncode == 0, out(p)
    assert "uid=1000" in p.stdout and "gid=1000" in p.stdout, out(p)


def test_top_ps(eng):
    name = eng.start()
    init = eng.pid(name)
    pids = eng.ps(name)
    assert init in pids, f"init {init} not in {pids}"


def test_pause_resume(eng):
    name = eng.start()
    pid = eng.pid(name)
    p = eng.pause(name)
    assert p.returncode == 0, out(p)
    assert eng.status(name) == "paused"
    assert hostcheck.cgroup_file(pid, "freezer", "freezer.state") == "FROZEN"
    p = eng.resume(name)
    assert p.returncode == 0, out(p)
    assert eng.status(name) == "running"
    assert hostcheck.cgroup_file(pid, "freezer", "freezer.state") == "THAWED"


def test_kill_signal(eng):
    name, proc = eng.run_popen(
        ["sh", "-c", "trap 'echo got-usr1; exit 42' USR1; echo ready; "
         "while :; do sleep 0.2; done"])
    try:
        assert proc.stdout.readline().strip() == "ready"
        p = eng.kill(name, "USR1")
        assert p.returncode == 0, out(p)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 42, f"exit {proc.returncode}: {rest} {err}"
    assert "got-usr1" in rest


def test_stats(eng):
    """The engine finds the container's cgroup where it put it and reads its usage."""
    name = eng.start()
    assert eng.memory_usage(name) > 0


def test_memory_limit(eng):
    name = eng.start(memory=48 * MiB)
    limit = hostcheck.cgroup_file(eng.pid(name), "memory", "memory.limit_in_bytes")
    assert int(limit) == 48 * MiB


def test_oom_kill(eng):
    # tail keeps the one endless "line" of /dev/zero in memory until the OOM killer comes.
    p = eng.run(["tail", "/dev/zero"], memory=32 * MiB)
    assert p.returncode == 137, out(p)


def test_pids_limit(eng):
    name = eng.start(pids=12)
    assert hostcheck.cgroup_file(eng.pid(name), "pids", "pids.max") == "12"
    p = eng.run(["sh", "-c", "for i in $(seq 30); do sleep 2 & done; wait"], pids=12)
    assert "can't fork" in p.stdout + p.stderr, out(p)
    p = eng.run(["sh", "-c", "for i in $(seq 30); do sleep 2 & done; wait; echo forked-all"])
    assert "forked-all" in p.stdout, out(p)  # without the limit the same loop succeeds


def test_read_only_root(eng):
    script = "touch /etc/arca-probe && echo wrote || echo refused"
    p = eng.run(["sh", "-c", script], read_only=True)
    assert "refused" in p.stdout and "Read-only file system" in p.stderr + p.stdout, out(p)
    p = eng.run(["sh", "-c", script])
    assert "wrote" in p.stdout, out(p)


def test_user(eng):
    p = eng.run(["id"], user="1000:1000")
    assert p.returncode == 0, out(p)
    assert p.stdout.startswith("uid=1000(user) gid=1000(user)"), out(p)


def test_bind_mount_read_only(eng, session):
    src = os.path.join(session.tmp, "bind-" + secrets.token_hex(4))
    os.makedirs(src)
    with open(os.path.join(src, "greeting"), "w") as f:
        f.write("hello from the host\n")
    p = eng.run(["sh", "-c", "cat /data/greeting; touch /data/new && echo wrote || echo refused"],
                mounts=[(src, "/data")])
    assert "hello from the host" in p.stdout and "refused" in p.stdout, out(p)
    assert os.listdir(src) == ["greeting"]


def test_cgroup_parent(eng, session):
    parent = f"{session.cgroup_base}/custom-parent"
    name = eng.start(cgroup_parent=parent)
    pid = eng.pid(name)
    for controller in ("memory", "pids", "freezer", "cpu"):
        path = hostcheck.proc_cgroup(pid, controller)
        assert path.startswith(parent + "/"), f"{controller}: {path}"


def test_cleanup(eng, session):
    """After stop + rm nothing of the container is left: not in the engine, not in the
    runtime's state, no cgroup, no mount, no process."""
    name = eng.start()
    rid = eng.runtime_id(name)
    pid = eng.pid(name)
    cgroup = hostcheck.proc_cgroup(pid, "memory")
    assert eng.stop(name).returncode == 0
    eng.wait_status(name, "stopped")
    p = eng.remove(name)
    assert p.returncode == 0, out(p)
    assert name not in eng.ids() and rid not in eng.ids()
    assert _processes_left(rid) == []
    assert not _alive(pid, rid)
    assert hostcheck.cgroup_dirs(cgroup) == [], f"cgroup {cgroup} left"
    assert session.ns.mounts_matching(rid) == []
    roots = [os.path.join(session.tmp, d) for d in os.listdir(session.tmp) if d.startswith("rt-")]
    left = [os.path.join(r, dp) for r in roots for dp, _, _ in os.walk(r) if rid in dp]
    assert left == [], f"runtime state left: {left}"


def _is_other(pid_dir, rid):
    """A recycled pid: the process there now is not the container's."""
    try:
        with open(os.path.join(pid_dir, "cgroup")) as f:
            return rid not in f.read()
    except OSError:
        return True


def test_remove_paused(eng, session):
    """Force-removing a paused container (the engine kills it, the runtime deletes it) leaves
    nothing: a frozen cgroup v1 task only dies once thawed."""
    name = eng.start()
    rid = eng.runtime_id(name)
    pid = eng.pid(name)
    assert eng.pause(name).returncode == 0
    eng.force_remove(name)
    assert name not in eng.ids()
    assert _processes_left(rid) == []
    assert not _alive(pid, rid), f"container init {pid} survived"


def _processes_left(rid, timeout=10):
    """The processes of container rid still there once conmon/the shim had time to exit
    (conmon runs Podman's cleanup first)."""
    deadline = time.monotonic() + timeout
    while hostcheck.processes_matching(rid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return hostcheck.describe(hostcheck.processes_matching(rid))


def _alive(pid, rid):
    return os.path.exists(f"/proc/{pid}") and not _is_other(f"/proc/{pid}", rid)
