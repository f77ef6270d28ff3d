"""update (resources written into the recorded cgroup) and events (runc's stats JSON, the
stats stream), for containers without cgroupsPath: their cgroup is <own cgroup>/<id> in
every hierarchy, below this test process's cgroups, so the host's are never written."""
import json
import os
import subprocess
import time

import pytest

from arcatest import new_id
from test_cgroups import container_dirs

SLEEP = ["sleep", "1000"]


@pytest.fixture(params=["rt", "ref"])
def any_rt(request):
    rt = request.getfixturevalue(request.param)
    if rt is None:
        pytest.skip("no runc for comparison")
    return rt


def cgroup_dir(pid, controller):
    """Host directory of pid's cgroup for a v1 controller ("" = cgroup2), via mountinfo."""
    with open(f"/proc/{pid}/cgroup") as f:
        rel = None
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            names = [c for c in ctrls.split(",") if c]
            if (controller in names) or (controller == "" and not names):
                rel = path
                break
    assert rel is not None, controller
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fields, sfields = pre.split(), post.split()
            opts = set(sfields[2].split(","))
            if (controller == "" and sfields[0] == "cgroup2") or (
                    controller and sfields[0] == "cgroup" and controller in opts):
                root, point = fields[3], fields[4]
                return os.path.normpath(os.path.join(point, os.path.relpath(rel, root)))
    raise AssertionError(f"no {controller!r} hierarchy")


def read(path):
    with open(path) as f:
        return f.read().strip()


def sleeping(rt, make_bundle, argv=SLEEP):
    b = make_bundle(lambda b: b.set_args(*argv))
    cid = new_id()
    p = rt.run_detached(cid, b)
    assert p.returncode == 0, p.stderr
    return cid, rt.state(cid)["pid"]


def test_update_flags_write_the_cgroup(any_rt, make_bundle):
    rt = any_rt
    cid, pid = sleeping(rt, make_bundle)
    p = rt.cmd("update", "--pids-limit", "20", cid)
    assert p.returncode == 0, p.stderr
    assert read(os.path.join(cgroup_dir(pid, "pids"), "pids.max")) == "20"
    p = rt.cmd("update", "--memory", "64m", cid)
    assert p.returncode == 0, p.stderr
    assert read(os.path.join(cgroup_dir(pid, "memory"), "memory.limit_in_bytes")) == "67108864"
    p = rt.cmd("update", "--memory", "1g", "--cpu-quota", "50000", "--cpu-period", "100000", cid)
    assert p.returncode == 0, p.stderr
    assert read(os.path.join(cgroup_dir(pid, "memory"), "memory.limit_in_bytes")) == str(1 << 30)
    assert read(os.path.join(cgroup_dir(pid, "cpu"), "cpu.cfs_quota_us")) == "50000"
    p = rt.cmd("update", "--memory", "-1", "--memory-swap", "-1", cid)
    assert p.returncode == 0, p.stderr
    unlimited = int(read(os.path.join(cgroup_dir(pid, "memory"), "memory.limit_in_bytes")))
    assert unlimited > 1 << 60


def test_update_from_a_resources_file_and_stdin(any_rt, make_bundle, tmp_path):
    rt = any_rt
    cid, pid = sleeping(rt, make_bundle)
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"cpu": {"shares": 512}, "pids": {"limit": 30}}))
    p = rt.cmd("update", "-r", str(f), cid)
    assert p.returncode == 0, p.stderr
    assert read(os.path.join(cgroup_dir(pid, "cpu"), "cpu.shares")) == "512"
    assert read(os.path.join(cgroup_dir(pid, "pids"), "pids.max")) == "30"
    # arca: flags win over the file (runc ignores the flags when -r is given).
    p = rt.cmd("update", "-r", "-", "--pids-limit", "40", cid,
               input=json.dumps({"pids": {"limit": 35}, "cpu": {"shares": 256}}), stdin=None)
    assert p.returncode == 0, p.stderr
    want = "40" if rt.name == "arca" else "35"
    assert read(os.path.join(cgroup_dir(pid, "pids"), "pids.max")) == want
    assert read(os.path.join(cgroup_dir(pid, "cpu"), "cpu.shares")) == "256"


@pytest.mark.arca_only
@pytest.mark.parametrize("args,named", [
    (["--cpu-shares", "1"], "--cpu-shares"),
    (["--memory", "10X"], "--memory"),
    (["--pids-limit", "ten"], "--pids-limit"),
    (["--blkio-weight", "5"], "--blkio-weight"),
    (["--l3-cache-schema", "L3:0=f"], "--l3-cache-schema"),
])
def test_update_bad_values_change_nothing(rt, make_bundle, args, named):
    cid, pid = sleeping(rt, make_bundle)
    dirs = {c: cgroup_dir(pid, c) for c in ("pids", "memory", "cpu")}
    before = {c: read(os.path.join(d, f)) for c, d, f in [
        ("pids", dirs["pids"], "pids.max"), ("memory", dirs["memory"], "memory.limit_in_bytes"),
        ("cpu", dirs["cpu"], "cpu.shares")]}
    p = rt.cmd("update", "--pids-limit", "9", *args, cid)
    assert p.returncode != 0
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], p.stderr
    after = {c: read(os.path.join(d, f)) for c, d, f in [
        ("pids", dirs["pids"], "pids.max"), ("memory", dirs["memory"], "memory.limit_in_bytes"),
        ("cpu", dirs["cpu"], "cpu.shares")]}
    assert after == before


@pytest.mark.arca_only
def test_update_bad_key_in_file_is_named(rt, make_bundle, tmp_path):
    cid, pid = sleeping(rt, make_bundle)
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"cpu": {"shares": "many"}}))
    p = rt.cmd("update", "-r", str(f), cid)
    assert p.returncode != 0
    assert "/cpu/shares" in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


@pytest.mark.arca_only
def test_update_uses_the_recorded_cgroup(rt, make_bundle):
    # The container's cgroup is <own cgroup>/<id>, whatever cgroup `update` runs from.
    cid, pid = sleeping(rt, make_bundle)
    p = rt.cmd("update", "--pids-limit", "21", cid)
    assert p.returncode == 0, p.stderr
    dirs = container_dirs(cid)
    assert read(os.path.join(dirs["pids"], "pids.max")) == "21"


def test_update_of_a_stopped_container_fails(any_rt, make_bundle):
    rt = any_rt
    b = make_bundle(lambda b: b.set_args("true"))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    rt.wait_status(cid, "stopped")
    p = rt.cmd("update", "--pids-limit", "20", cid)
    assert p.returncode != 0


def shape(v):
    """The keys of a JSON value, recursively (values and list lengths dropped)."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items() if k != "raw"}
    if isinstance(v, list):
        return "list"
    return type(v).__name__ if v is not None else None


def test_events_stats(any_rt, make_bundle):
    rt = any_rt
    cid, _ = sleeping(rt, make_bundle, ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do "
                                              "i=$((i+1)); done; exec sleep 1000"])
    time.sleep(0.3)
    p = rt.cmd("events", "--stats", cid)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1
    e = json.loads(lines[0])
    assert e["type"] == "stats" and e["id"] == cid
    d = e["data"]
    assert d["pids"]["current"] >= 1
    assert d["memory"]["usage"]["usage"] > 0
    assert d["cpu"]["usage"]["total"] > 0
    assert isinstance(d["memory"]["raw"], dict) and "rss" in d["memory"]["raw"]


@pytest.mark.arca_only
def test_events_stats_shape_matches_runc(rt, ref, make_bundle):
    shapes = []
    for r in (rt, ref):
        cid, _ = sleeping(r, make_bundle)
        p = r.cmd("events", "--stats", cid)
        assert p.returncode == 0, p.stderr
        d = json.loads(p.stdout)["data"]
        # Members that runc leaves out when zero may differ with timing; compare the rest.
        for k in ("blkio",):
            d.pop(k, None)
        shapes.append(shape(d))
    arca, runc = (json.dumps(s, sort_keys=True) for s in shapes)
    assert arca == runc, f"arca: {arca}\nrunc: {runc}"


@pytest.mark.arca_only
def test_events_stream_until_the_container_exits(rt, make_bundle):
    # runc keeps streaming after the container stops; arca ends the stream with it.
    cid, _ = sleeping(rt, make_bundle, ["sleep", "2"])
    start = time.monotonic()
    p = rt.cmd("events", "--interval", "1s", cid, timeout=30)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - start < 15
    events = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    stats = [e for e in events if e["type"] == "stats"]
    assert len(stats) >= 1 and all(e["id"] == cid for e in events)


@pytest.mark.arca_only
def test_events_of_a_stopped_container_fails(rt, make_bundle):
    b = make_bundle(lambda b: b.set_args("true"))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    rt.wait_status(cid, "stopped")
    assert rt.cmd("events", "--stats", cid).returncode != 0


@pytest.mark.arca_only
def test_events_reports_an_oom_kill(rt, make_bundle):
    def mutate(b):
        # `tail /dev/zero` buffers one endless line until the memory cgroup kills it; the
        # shell survives, so the stream goes on after the OOM.
        b.set_args("sh", "-c", "sleep 1; busybox tail /dev/zero; exec sleep 1000")
        b.linux["resources"] = {"memory": {"limit": 32 << 20, "swap": 32 << 20}}
    b = make_bundle(mutate)
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    p = subprocess.Popen(rt.argv("events", "--interval", "1s", cid), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    types = []
    try:
        deadline = time.monotonic() + 20
        while "oom" not in types and time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            e = json.loads(line)
            assert e["id"] == cid
            types.append(e["type"])
    finally:
        p.kill()
        p.wait()
    assert "stats" in types and "oom" in types, types
