"""Container lifecycle: create/start/state/kill/delete/run/list/spec/features."""
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
# pid 1 of a pid namespace ignores default-action signals (except KILL/STOP),
# so containers that must react to TERM install a handler via trap.
TRAPPER = ["sh", "-c", "trap 'exit 0' TERM INT HUP; while true; do sleep 0.1; done"]


def args(*a):
    return lambda b: b.set_args(*a)


def test_create_start_kill_delete(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    p = rt.create(cid, b)
    assert p.returncode == 0, p.stderr
    st = rt.state(cid)
    assert st is not None
    assert st["status"] == "created"
    assert st["id"] == cid
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert os.path.exists(f"/proc/{st['pid']}")
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b.dir)
    assert "ociVersion" in st

    p = rt.start(cid)
    assert p.returncode == 0, p.stderr
    assert rt.wait_status(cid, "running") == "running"
    assert rt.state(cid)["pid"] == st["pid"], "init pid must not change across start"

    p = rt.kill(cid, "KILL")
    assert p.returncode == 0, p.stderr
    assert rt.wait_status(cid, "stopped") == "stopped"

    p = rt.delete(cid)
    assert p.returncode == 0, p.stderr
    assert rt.state(cid) is None
    p = rt.cmd("state", cid)
    assert p.returncode != 0


def test_created_process_is_not_yet_running_user_code(rt, make_bundle):
    # The container writes a marker only once the user process runs.
    b = make_bundle(lambda b: (b.set_args("sh", "-c", "echo started > /tmp/m; sleep 1000"),
                               b.config["root"].update(readonly=False)))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    time.sleep(0.3)
    assert not os.path.exists(os.path.join(b.rootfs, "tmp", "m"))
    assert rt.start(cid).returncode == 0
    deadline = time.time() + 5
    while time.time() < deadline and not os.path.exists(os.path.join(b.rootfs, "tmp", "m")):
        time.sleep(0.05)
    assert os.path.exists(os.path.join(b.rootfs, "tmp", "m"))


def test_start_twice_fails(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    assert rt.start(cid).returncode == 0
    assert rt.start(cid).returncode != 0
    assert rt.delete(cid, force=True).returncode == 0


def test_delete_created_container(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    p = rt.delete(cid)
    assert p.returncode == 0, p.stderr
    assert rt.state(cid) is None
    # the init must be gone (allow a moment for reaping)
    deadline = time.time() + 5
    while time.time() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_run_exit_code_passthrough(run_container):
    p = run_container(args=["/probe", "exit", "3"])
    assert p.returncode == 3
    assert arcatest.parse_probe(p.stdout)["pid"] == 1


def test_run_exit_code_shell(run_container):
    p = run_container(args=["sh", "-c", "echo out; echo err >&2; exit 42"])
    assert p.returncode == 42
    assert p.stdout == "out\n"
    assert p.stderr == "err\n"


def test_run_killed_by_own_fault_is_128_plus_signal(run_container):
    # SIGSEGV from a real fault kills even a pid-namespace init.
    p = run_container(args=["/probe", "kill-self", "11"])
    assert p.returncode == 128 + 11


def test_run_killed_from_outside_is_137(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    result = {}

    def bg():
        result["p"] = rt.run(cid, b)

    t = threading.Thread(target=bg)
    t.start()
    try:
        assert rt.wait_status(cid, "running") == "running"
        assert rt.kill(cid, "KILL").returncode == 0
    finally:
        t.join(30)
    assert result["p"].returncode == 137


def test_run_detached(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    t0 = time.time()
    p = rt.run_detached(cid, b)
    assert p.returncode == 0, p.stderr
    assert time.time() - t0 < 20
    assert rt.status(cid) == "running"
    pid = rt.state(cid)["pid"]
    time.sleep(0.3)
    assert rt.status(cid) == "running"
    assert _alive(pid)
    assert rt.delete(cid, force=True).returncode == 0


def test_list_formats(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    st = rt.state(cid)

    p = rt.cmd("list")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    rows = [l.split() for l in lines[1:] if l.split() and l.split()[0] == cid]
    assert len(rows) == 1
    row = rows[0]
    assert row[1] == str(st["pid"])
    assert row[2] == "running"
    assert os.path.realpath(row[3]) == os.path.realpath(b.dir)
    assert row[5] == "root"

    p = rt.cmd("list", "--format", "json")
    assert p.returncode == 0, p.stderr
    items = json.loads(p.stdout)
    mine = [i for i in items if i["id"] == cid]
    assert len(mine) == 1
    assert mine[0]["pid"] == st["pid"]
    assert mine[0]["status"] == "running"
    assert os.path.realpath(mine[0]["bundle"]) == os.path.realpath(b.dir)
    assert "created" in mine[0]

    p = rt.cmd("list", "-q")
    assert p.returncode == 0
    assert cid in p.stdout.split()
    assert "ID" not in p.stdout.split()
    assert rt.delete(cid, force=True).returncode == 0


def test_list_empty_root(rt, session_dir):
    import arcatest as a
    other = a.Runtime(rt.name, rt.binary, os.path.join(session_dir, "state-empty-" + new_id()))
    p = other.cmd("list")
    assert p.returncode == 0
    assert p.stdout.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    p = other.cmd("list", "-q")
    assert p.returncode == 0 and p.stdout.strip() == ""


@pytest.mark.parametrize("sig", ["TERM", "SIGTERM", "15"])
def test_kill_signal_spellings(rt, make_bundle, sig):
    b = make_bundle(args(*TRAPPER))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    time.sleep(0.3)  # let the trap be installed
    p = rt.kill(cid, sig)
    assert p.returncode == 0, p.stderr
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert rt.delete(cid).returncode == 0


def test_kill_default_signal_is_term(rt, make_bundle):
    b = make_bundle(args(*TRAPPER))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    time.sleep(0.3)
    assert rt.kill(cid).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"


def test_kill_bad_signal_fails(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    assert rt.kill(cid, "NOTASIGNAL").returncode != 0
    assert rt.status(cid) == "running"


def test_kill_all(rt, make_bundle):
    # init traps TERM (so it survives a TERM to pid 1 only) and has children.
    b = make_bundle(args("sh", "-c", "sleep 1000 & sleep 1000 & trap '' TERM; wait"))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    deadline = time.time() + 5
    kids = []
    while time.time() < deadline and len(kids) < 2:
        kids = _children(pid)
        time.sleep(0.05)
    assert len(kids) >= 2
    p = rt.kill(cid, "KILL", "--all")
    assert p.returncode == 0, p.stderr
    assert rt.wait_status(cid, "stopped") == "stopped"
    for k in kids:
        deadline = time.time() + 5
        while time.time() < deadline and _alive(k):
            time.sleep(0.05)
        assert not _alive(k)
    assert rt.delete(cid).returncode == 0


def _children(pid):
    res = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                res += [int(x) for x in f.read().split()]
        except FileNotFoundError:
            pass
    return res


def test_delete_running_needs_force(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    p = rt.delete(cid)
    assert p.returncode != 0
    assert rt.status(cid) == "running"
    p = rt.delete(cid, force=True)
    assert p.returncode == 0, p.stderr
    assert rt.state(cid) is None
    deadline = time.time() + 5
    while time.time() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def test_delete_force_unknown_id_succeeds(rt):
    # runc 1.1.5: `delete --force` of a missing container succeeds silently (engines
    # rely on it when cleaning up twice); without --force it is an error.
    cid = new_id()
    p = rt.delete(cid, force=True)
    assert p.returncode == 0, p.stderr
    assert rt.delete(cid).returncode != 0


@pytest.mark.parametrize("verb", ["create", "run"])
def test_pid_file(rt, make_bundle, verb):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    pidfile = os.path.join(b.dir, "pid")
    if verb == "create":
        p = rt.create(cid, b, "--pid-file", pidfile)
    else:
        p = rt.run_detached(cid, b, "--pid-file", pidfile)
    assert p.returncode == 0, p.stderr
    with open(pidfile) as f:
        content = f.read()
    assert content.strip() == str(rt.state(cid)["pid"])
    assert rt.delete(cid, force=True).returncode == 0


def _race_create(rt, make_bundle):
    b1 = make_bundle(args(*SLEEP))
    b2 = make_bundle(args(*SLEEP))
    cid = new_id()
    rt.track(cid)
    procs = []
    files = []
    for b in (b1, b2):
        out = open(os.path.join(b.dir, "out"), "wb")
        files.append(out)
        procs.append(subprocess.Popen(rt.argv("create", "--bundle", b.dir, cid),
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=out))
    rcs = [p.wait(60) for p in procs]
    for f in files:
        f.close()
    return cid, rcs, (b1, b2)


def test_concurrent_create_same_id(rt, make_bundle):
    cid, rcs, bundles = _race_create(rt, make_bundle)
    assert sorted(rc == 0 for rc in rcs) == [False, True], rcs


@pytest.mark.arca_only
def test_concurrent_create_same_id_keeps_winner_intact(rt, make_bundle):
    # runc 1.1.5 fails this occasionally: the loser passes the existence
    # check too, fails later and its cleanup removes the WINNER's state dir,
    # leaking the winner's init (state says "does not exist").
    for _ in range(10):
        cid, rcs, bundles = _race_create(rt, make_bundle)
        assert sorted(rc == 0 for rc in rcs) == [False, True], rcs
        winner = bundles[rcs.index(0)]
        st = rt.state(cid)
        assert st is not None, "winner's state vanished"
        assert st["status"] == "created"
        assert os.path.realpath(st["bundle"]) == os.path.realpath(winner.dir)
        assert rt.delete(cid, force=True).returncode == 0
        assert arcatest.reap_leaked(cid) == [], "processes leaked"


def test_create_existing_id_fails(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    b2 = make_bundle(args(*SLEEP))
    assert rt.create(cid, b2).returncode != 0
    st = rt.state(cid)
    assert st["pid"] == pid and os.path.realpath(st["bundle"]) == os.path.realpath(b.dir)


@pytest.mark.parametrize("bad", ["a/b", "..", "../x", "/abs"])
def test_bad_id_refused(rt, make_bundle, session_dir, bad):
    b = make_bundle(args(*SLEEP))
    before = set(os.listdir(rt.root))
    p = rt.create(bad, b)
    assert p.returncode != 0
    assert rt.state(bad) is None
    assert set(os.listdir(rt.root)) == before
    # nothing written next to / above the state dir
    assert not os.path.exists(os.path.join(session_dir, "x"))


def test_state_unknown_id(rt):
    p = rt.cmd("state", new_id())
    assert p.returncode != 0
    assert p.stdout.strip() == ""


def test_operations_on_unknown_id_fail(rt):
    cid = new_id()
    for verb in (["start", cid], ["kill", cid, "KILL"], ["delete", cid]):
        assert rt.cmd(*verb).returncode != 0, verb


def test_sigkill_init_after_create(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)  # our own child's descendant: the container init
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert rt.start(cid).returncode != 0
    p = rt.delete(cid)
    assert p.returncode == 0, p.stderr
    assert rt.state(cid) is None


def test_sigkill_init_while_running(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert rt.delete(cid).returncode == 0


def test_stopped_after_natural_exit(rt, make_bundle):
    b = make_bundle(args("true"))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert rt.kill(cid, "KILL").returncode != 0  # nothing to signal
    assert rt.delete(cid).returncode == 0


def test_spec_verb(rt, session_dir):
    d = os.path.join(session_dir, "spec-" + new_id())
    os.makedirs(d)
    p = rt.cmd("spec", "--bundle", d)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["root"]["path"] == "rootfs"
    assert cfg["process"]["args"]
    nss = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "mount", "ipc", "uts", "network"} <= nss
    # refuses to overwrite an existing config
    assert rt.cmd("spec", "--bundle", d).returncode != 0


def test_spec_rootless(rt, session_dir):
    d = os.path.join(session_dir, "spec-" + new_id())
    os.makedirs(d)
    p = rt.cmd("spec", "--rootless", "--bundle", d)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    nss = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert "user" in nss
    assert "network" not in nss
    assert cfg["linux"]["uidMappings"][0]["containerID"] == 0
    assert cfg["linux"]["uidMappings"][0]["hostID"] == os.geteuid()


def test_spec_generated_by_runtime_runs(rt, make_bundle, session_dir):
    # the runtime's own default config must be runnable by that runtime
    b = make_bundle()
    os.remove(os.path.join(b.dir, "config.json"))
    assert rt.cmd("spec", "--bundle", b.dir).returncode == 0
    with open(os.path.join(b.dir, "config.json")) as f:
        b.config = json.load(f)
    b.config["process"]["terminal"] = False
    b.config["process"]["args"] = ["/probe"]
    b.config.get("linux", {}).pop("resources", None)
    p = rt.run(new_id(), b)
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert rep["pid"] == 1


def test_features(rt):
    p = rt.cmd("features")
    assert p.returncode == 0, p.stderr
    f = json.loads(p.stdout)
    assert f["ociVersionMin"].startswith("1.")
    assert f["ociVersionMax"] >= f["ociVersionMin"]
    assert "linux" in f
    assert {"pid", "network", "mount", "user"} <= set(f["linux"]["namespaces"])
    assert "bind" in f["mountOptions"]


@pytest.mark.arca_only
def test_features_arca(rt):
    f = json.loads(rt.cmd("features").stdout)
    assert "time" in f["linux"]["namespaces"]
    caps = f["linux"]["capabilities"]
    assert "CAP_SYS_ADMIN" in caps and "CAP_KILL" in caps


@pytest.mark.arca_only
@pytest.mark.parametrize("verb", ["state", "start", "delete", "kill"])
def test_error_message_format_unknown_id(rt, verb):
    cid = new_id()
    p = rt.cmd(verb, cid)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f'arca: {verb} "{cid}": '), lines[0]
    assert len(lines[0]) > len(f'arca: {verb} "{cid}": ')


@pytest.mark.arca_only
def test_error_message_format_create_exists(rt, make_bundle):
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    p = rt.create(cid, make_bundle(args(*SLEEP)))
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f'arca: create "{cid}": ')


@pytest.mark.arca_only
def test_log_json_on_error(rt, session_dir):
    log = os.path.join(session_dir, "log-" + new_id())
    cid = new_id()
    p = rt.cmd("state", cid, global_args=("--log", log, "--log-format", "json"))
    assert p.returncode != 0
    with open(log) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    assert lines, "error must be logged"
    assert any(cid in json.dumps(l) for l in lines)


@pytest.mark.parametrize("sig", ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2"])
def test_run_forwards_signals_to_the_container(rt, make_bundle, sig):
    # The container's shell (PID 1) traps the signal and exits with a code of its
    # own: the code comes back only if the runtime forwarded the signal it got.
    script = f'trap "exit 42" {sig}; echo ready; while :; do sleep 0.05; done'
    b = make_bundle(args("sh", "-c", script))
    b.write_config()
    cid = new_id()
    rt.track(cid)
    p = subprocess.Popen(rt.argv("run", "--bundle", b.dir, cid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        p.send_signal(getattr(signal, "SIG" + sig))
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 42, p.stderr.read()


@pytest.mark.parametrize("sig", ["TERM", "INT", "HUP"])
def test_kill_ends_a_created_container(rt, make_bundle, sig):
    # The init waits for `start` as PID 1 of its pid namespace, where signals without a
    # handler are ignored; TERM must still end a created container (as with runc).
    b = make_bundle(args(*SLEEP))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    assert rt.kill(cid, sig).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert rt.delete(cid).returncode == 0
