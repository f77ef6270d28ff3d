"""Control groups: linux.resources applied, the init placed before any container code and
before its cgroup namespace exists, and every cgroup removed by delete or a failed create.

Containers get cgroups only below this test process's own cgroups (relative cgroupsPath,
or none: the id), so the host's are never written.
"""
import json
import os
import subprocess
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
    """The seed's demo: with pids.limit 15 a fork bomb fails with EAGAIN inside, the
    container stays usable once the bomb's processes are gone, the host still forks."""
    cid = new_id()
    bomb = "i=0; while [ $i -lt 40 ]; do sleep 1 & i=$((i+1)); done; wait"
    # The bomb's shell gives up at the first failed fork; its sleeps end within a second,
    # after which the container forks again.
    script = 'sh -c "$0"; sleep 2; (echo still-usable)'
    b = make_bundle(with_resources({"pids": {"limit": 15}}, argv=["sh", "-c", script, bomb]))
    p = rt.run(cid, b, timeout=30)
    assert "Resource temporarily unavailable" in p.stderr, (p.returncode, p.stderr)
    assert p.stdout.split() == ["still-usable"], (p.stdout, p.stderr)
    pid = os.fork()  # the host still forks: the limit is the container's alone
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert left_over(cid) == []


@pytest.mark.parametrize("mutation,expect", [
    ({"cpu": {"shares": 1}}, "/linux/resources/cpu/shares"),
    ({"pids": {"limit": "many"}}, "/linux/resources/pids/limit"),
    # cgroup v1 / hybrid: unified (v2 files) has no meaning, as runc says too.
    ({"unified": {"pids.max": "10"}}, "/linux/resources/unified: requires cgroup v2"),
    # A controller the host does not mount is an error when asked for (none has rdma here).
    pytest.param({"rdma": {"mlx5_0": {"hcaHandles": 2}}},
                 'cgroup v1 controller "rdma" is not mounted (needed for rdma.max)',
                 marks=pytest.mark.skipif(os.path.isdir("/sys/fs/cgroup/rdma"),
                                          reason="this host mounts rdma")),
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


def with_caps(*caps):
    def add(b):
        for kind in ("bounding", "effective", "permitted"):
            b.process["capabilities"][kind] = list(b.process["capabilities"][kind]) + list(caps)
    return add


def test_unallowed_device_cannot_be_opened_even_after_mknod(rt, make_bundle):
    """runc spec's allowlist ("deny everything") plus the devices every container gets:
    with CAP_MKNOD the container makes a /dev/fuse node (mknod is allowed for any device,
    as runc allows it), but opening it is refused; /dev/null stays usable."""
    cid = new_id()
    script = ("busybox mknod /dev/arca-fuse c 10 229 && echo mknod-ok; "
              "(exec 3<>/dev/arca-fuse) && echo fuse-opened; "
              "echo x >/dev/null && echo null-ok; "
              "head -c1 /dev/zero >/dev/null && echo zero-ok")

    def mutate(b):
        with_resources({"devices": [{"allow": False, "access": "rwm"}]},
                       argv=["sh", "-c", script])(b)
        with_caps("CAP_MKNOD")(b)
    p = rt.run(cid, make_bundle(mutate), timeout=30)
    out = p.stdout.split()
    assert "mknod-ok" in out, (p.stdout, p.stderr)
    assert "fuse-opened" not in out, p.stdout
    assert "Operation not permitted" in p.stderr, p.stderr
    assert "null-ok" in out and "zero-ok" in out, (p.stdout, p.stderr)
    assert left_over(cid) == []


def test_device_rule_allows_a_node_until_update_takes_it_away(rt, make_bundle, tmp_path):
    """An allow rule makes a node usable; `update -r` with new rules replaces them in the
    running container (as a v1 transition, so /dev/null is never lost meanwhile)."""
    cid = new_id()
    devices = [{"allow": False, "access": "rwm"},
               {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"}]

    def mutate(b):
        with_resources({"devices": devices})(b)
        with_caps("CAP_MKNOD")(b)
    p = rt.run_detached(cid, make_bundle(mutate))
    assert p.returncode == 0, p.stderr
    try:
        devices_dir = container_dirs(cid)["devices"]

        def exec_in(cmd):
            # No `arca exec` yet: join the container's devices cgroup (the one that decides),
            # then nsenter its namespaces.
            pid = str(rt.state(cid)["pid"])
            return subprocess.run(
                ["sh", "-c", 'echo $$ >"$1/cgroup.procs" && shift && exec nsenter "$@"', "sh",
                 devices_dir, "-t", pid, "-m", "-p", "-r", "-w", "sh", "-c", cmd],
                capture_output=True, text=True, timeout=30)
        r = exec_in("busybox mknod /dev/arca-fuse c 10 229; (exec 3<>/dev/arca-fuse) "
                    "&& echo fuse-opened")
        assert "fuse-opened" in r.stdout, r.stderr
        rules = tmp_path / "devices.json"
        rules.write_text(json.dumps({"devices": [{"allow": False, "access": "rwm"}]}))
        u = rt.cmd("update", "-r", str(rules), cid)
        assert u.returncode == 0, u.stderr
        assert "c 10:229 rw" not in read(os.path.join(devices_dir, "devices.list")).splitlines()
        r = exec_in("(exec 3<>/dev/arca-fuse) && echo fuse-opened; "
                    "echo x >/dev/null && echo null-ok")
        assert "fuse-opened" not in r.stdout and "null-ok" in r.stdout, (r.stdout, r.stderr)
    finally:
        assert rt.delete(cid, force=True).returncode == 0
    assert left_over(cid) == []


def test_run_reports_an_oom_kill_as_137(rt, make_bundle):
    """A memory hog beyond memory (and memory+swap) limit is OOM-killed; `run` exits
    128+SIGKILL as a shell would."""
    cid = new_id()
    hog = "x=$(yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c 300000000); echo survived ${#x}"
    b = make_bundle(with_resources({"memory": {"limit": 32 << 20, "swap": 32 << 20}},
                                   argv=["sh", "-c", hog]))
    p = rt.run(cid, b, timeout=60)
    assert p.returncode == 137, (p.returncode, p.stdout, p.stderr)
    assert "survived" not in p.stdout
    assert left_over(cid) == []


def test_systemd_cgroup_driver_without_systemd_is_a_clear_error(rt, make_bundle):
    """--systemd-cgroup needs systemd as PID 1 (or the ARCA_SYSTEMD_BUS test hook, see
    test_systemd_driver.py): without it, one clear line, and nothing is left behind."""
    if open("/proc/1/comm").read().strip() == "systemd":
        pytest.skip("systemd is PID 1 here")
    cid = new_id()
    b = make_bundle(with_resources({"pids": {"limit": 15}}, path="system.slice:arca:" + cid))
    b.write_config()
    rt.track(cid)
    p = subprocess.run(rt.argv("run", "--bundle", b.dir, cid, global_args=("--systemd-cgroup",)),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, p
    assert p.stderr == (f'arca: run "{cid}": --systemd-cgroup: systemd is not running as '
                        'PID 1\n'), p.stderr
    assert not os.path.exists(os.path.join(rt.root, cid))
    assert left_over(cid) == [] and left_over("system.slice") == []
