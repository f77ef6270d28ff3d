"""Control groups: linux.resources applied, the init placed before any container code and
before its cgroup namespace exists, and every cgroup removed by delete or a failed create.

Containers get cgroups only below this test process's own cgroups (relative cgroupsPath,
or none: the id), so the host's are never written.
"""
import os
import time

import pytest

import arcatest
from arcatest import new_id

pytestmark = pytest.mark.arca_only

SLEEP = ["sleep", "1000"]


def own_cgroups():
    """Host directory of this process's cgroup per hierarchy: {"pids": "/sys/fs/cgroup/pids/x",
    "": cgroup2 dir}; controllers co-mounted in one hierarchy map to the same directory."""
    mounts = []  # (root, mount point, fstype, super options)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fields, sfields = pre.split(), post.split()
            if sfields[0] in ("cgroup", "cgroup2"):
                mounts.append((fields[3], fields[4], sfields[0], set(sfields[2].split(","))))
    dirs = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            names = [c for c in ctrls.split(",") if c]
            for root, point, fstype, opts in mounts:
                if (not names and fstype == "cgroup2") or (
                        names and fstype == "cgroup" and set(names) <= opts):
                    rel = os.path.relpath(path, root) if path.startswith(root) else None
                    if rel is None or rel.startswith(".."):
                        continue
                    d = os.path.normpath(os.path.join(point, rel))
                    for n in names or [""]:
                        dirs[n] = d
                    break
    return dirs


def container_dirs(name):
    return {c: os.path.join(d, name) for c, d in own_cgroups().items()}


def left_over(name):
    return sorted(d for d in set(container_dirs(name).values()) if os.path.exists(d))


def read(path):
    with open(path) as f:
        return f.read().strip()


def with_resources(resources, path=None, argv=SLEEP, cgroupns=False):
    def mutate(b):
        b.set_args(*argv)
        b.linux["resources"] = resources
        if path is not None:
            b.linux["cgroupsPath"] = path
        if cgroupns:
            b.add_namespace("cgroup")
    return mutate


def test_limits_applied_and_removed_by_delete(rt, make_bundle):
    cid = new_id()
    name = "arcatest-" + new_id().split("-", 1)[1]
    b = make_bundle(with_resources({"pids": {"limit": 15},
                                    "memory": {"limit": 64 << 20}}, path=name))
    p = rt.create(cid, b)
    assert p.returncode == 0, p.stderr
    try:
        dirs = container_dirs(name)
        assert read(os.path.join(dirs["pids"], "pids.max")) == "15"
        assert read(os.path.join(dirs["memory"], "memory.limit_in_bytes")) == str(64 << 20)
        pid = rt.state(cid)["pid"]
        with open(os.path.join(dirs["pids"], "cgroup.procs")) as f:
            assert str(pid) in f.read().split()
        with open(f"/proc/{pid}/cgroup") as f:
            assert any(l.split(":")[1] == "pids" and l.rstrip().endswith("/" + name)
                       for l in f)
    finally:
        assert rt.delete(cid, force=True).returncode == 0
    assert left_over(name) == []


def test_default_path_is_the_id_and_kill_all_then_delete(rt, make_bundle):
    cid = new_id()
    b = make_bundle(with_resources({"pids": {"limit": 30}},
                                   argv=["sh", "-c", "sleep 1000 & sleep 1000 & wait"]))
    p = rt.run_detached(cid, b)
    assert p.returncode == 0, p.stderr
    procs = os.path.join(container_dirs(cid)["pids"], "cgroup.procs")
    deadline = time.time() + 5
    while len(read(procs).split()) < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert len(read(procs).split()) == 3
    assert rt.kill(cid, "KILL", "--all").returncode == 0
    rt.wait_status(cid, "stopped")
    assert rt.delete(cid).returncode == 0
    assert left_over(cid) == []


def test_pids_limit_holds_a_fork_bomb(rt, make_bundle):
    cid = new_id()
    bomb = "i=0; while [ $i -lt 40 ]; do sleep 1 & i=$((i+1)); done; wait"
    b = make_bundle(with_resources({"pids": {"limit": 15}}, argv=["sh", "-c", bomb]))
    p = rt.run(cid, b, timeout=30)
    assert "fork" in p.stderr.lower(), (p.returncode, p.stderr)
    pid = os.fork()  # the host still forks: the limit is the container's alone
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert left_over(cid) == []


@pytest.mark.parametrize("mutation,expect", [
    ({"cpu": {"shares": 1}}, "/linux/resources/cpu/shares"),
    ({"pids": {"limit": "many"}}, "/linux/resources/pids/limit"),
])
def test_bad_resource_names_the_key_and_leaves_nothing(rt, make_bundle, mutation, expect):
    cid = new_id()
    b = make_bundle(with_resources(mutation))
    p = rt.create(cid, b)
    assert p.returncode != 0
    assert expect in p.stderr, p.stderr
    assert left_over(cid) == []
    assert not os.path.exists(os.path.join(rt.root, cid))


def test_child_failure_removes_cgroups(rt, make_bundle):
    cid = new_id()
    b = make_bundle(with_resources({"pids": {"limit": 15}}, argv=["/no/such/binary"],
                                   cgroupns=True))
    p = rt.create(cid, b)
    assert p.returncode != 0
    assert left_over(cid) == []
    assert arcatest.reap_leaked(cid) == []


@pytest.mark.parametrize("intermediate", [False, True])
def test_cgroup_namespace_root_is_the_container_cgroup(rt, make_bundle, intermediate):
    cid = new_id()
    mutate = with_resources({"pids": {"limit": 15}},
                            argv=["sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max"
                                  " 2>/dev/null; true"], cgroupns=True)

    def both(b):
        mutate(b)
        if intermediate:  # a time namespace with offsets takes the intermediate path
            b.add_namespace("time")
            b.linux["timeOffsets"] = {"monotonic": {"secs": 1, "nanosecs": 0}}
    b = make_bundle(both)
    p = rt.run(cid, b, timeout=30)
    assert p.returncode == 0, p.stderr
    lines = dict((l.split(":")[1], l.split(":", 2)[2]) for l in p.stdout.splitlines()
                 if l.count(":") >= 2)
    assert lines["pids"] == "/", p.stdout
    assert left_over(cid) == []


def test_without_cgroup_namespace_the_full_path_shows(rt, make_bundle):
    cid = new_id()
    b = make_bundle(with_resources({}, argv=["cat", "/proc/self/cgroup"]))
    p = rt.run(cid, b, timeout=30)
    assert p.returncode == 0, p.stderr
    pids = [l for l in p.stdout.splitlines() if l.split(":")[1] == "pids"]
    assert pids and pids[0].endswith("/" + cid), p.stdout
    # The init joined its cgroup in every hierarchy arca can write (the v1 ones through
    # `tasks`, the hybrid cgroup2 one by clone3 CLONE_INTO_CGROUP), not just one.
    seen = {l.split(":")[1]: l.split(":", 2)[2] for l in p.stdout.splitlines() if l.count(":") >= 2}
    writable = [c for c, d in own_cgroups().items() if os.access(d, os.W_OK)]
    assert writable, own_cgroups()
    for controller in writable:
        path = next(v for k, v in seen.items() if controller in k.split(",") or k == controller)
        assert path.endswith("/" + cid), (controller, p.stdout)
    assert left_over(cid) == []
