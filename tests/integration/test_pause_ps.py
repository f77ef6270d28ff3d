"""pause / resume / ps through the container's cgroup, compared with runc."""
import json
import os

import pytest

from arcatest import new_id

SLEEP = ["sleep", "1000"]


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def freezer_state(pid):
    """The v1 freezer state of pid's cgroup ("FROZEN"/"THAWED"), read on the host."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if "freezer" in ctrls.split(","):
                with open(f"/sys/fs/cgroup/freezer{path}/freezer.state") as s:
                    return s.read().strip()
    return None


@pytest.fixture(params=["rt", "ref"])
def any_rt(request):
    rt = request.getfixturevalue(request.param)
    if rt is None:
        pytest.skip("no runc for comparison")
    return rt


def test_pause_resume_state_and_freezer(any_rt, make_bundle):
    rt = any_rt
    b = make_bundle(lambda b: b.set_args(*SLEEP))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    p = rt.cmd("pause", cid)
    assert p.returncode == 0, p.stderr
    assert rt.status(cid) == "paused"
    assert freezer_state(pid) == "FROZEN"
    assert rt.cmd("pause", cid).returncode != 0  # already paused
    p = rt.cmd("resume", cid)
    assert p.returncode == 0, p.stderr
    assert rt.status(cid) == "running"
    assert freezer_state(pid) == "THAWED"
    assert rt.cmd("resume", cid).returncode != 0  # not paused


def test_delete_force_of_a_paused_container(any_rt, make_bundle):
    rt = any_rt
    b = make_bundle(lambda b: b.set_args(*SLEEP))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    assert rt.cmd("pause", cid).returncode == 0
    p = rt.delete(cid, force=True)
    assert p.returncode == 0, p.stderr
    assert rt.state(cid) is None
    assert not os.path.exists(f"/proc/{pid}") or proc_state(pid) == "Z"


def test_ps_lists_the_container_processes(any_rt, make_bundle):
    rt = any_rt
    b = make_bundle(lambda b: b.set_args("sh", "-c", "sleep 1000 & sleep 1000"))
    cid = new_id()
    assert rt.run_detached(cid, b).returncode == 0
    init = rt.state(cid)["pid"]
    p = rt.cmd("ps", "--format", "json", cid)
    assert p.returncode == 0, p.stderr
    pids = json.loads(p.stdout)
    assert init in pids and len(pids) == 2
    p = rt.cmd("ps", cid)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert "PID" in lines[0].split()
    assert len(lines) == 3 and all("sleep 1000" in l for l in lines[1:])


def test_pause_of_a_stopped_container_fails(rt, make_bundle):
    b = make_bundle(lambda b: b.set_args("true"))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    os.kill(rt.state(cid)["pid"], 9)
    rt.wait_status(cid, "stopped")
    assert rt.cmd("pause", cid).returncode != 0
