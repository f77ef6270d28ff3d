"""A failed create leaves nothing behind: no state dir, no process, no mount.

Covers failures at every stage (parse, validation, in the container's init) and a
create that is itself SIGKILLed while its init is blocked in a setup step.
"""
import os
import signal
import subprocess
import time

import pytest

import arcatest
from arcatest import new_id


def processes_mentioning(cid):
    """Pids whose command line names the container: arca's init is a fork of
    `arca create ... ID` until it execs, so this finds a leaked init."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if cid.encode() in f.read().split(b"\0"):
                    found.append(int(d))
        except OSError:
            pass
    return found


def assert_nothing_left(rt, cid):
    assert not os.path.exists(os.path.join(rt.root, cid)), "state dir left behind"
    assert processes_mentioning(cid) == [], "process left behind"
    assert arcatest.mounts_under(f"/{cid}") == []


@pytest.mark.parametrize("breakage,expect", [
    ("bad_json", "config.json: invalid JSON at line 1"),
    ("validation", "config.json: /process/cwd: must be an absolute path"),
    ("plan", "sysctl \"vm.swappiness\" is not namespaced"),
    ("child_sysctl_value", "container init: sysctl \"kernel.shmmax\""),
    ("child_mount", "container init: mount"),
    ("child_exec", "exec \"/no/such/binary\""),
])
@pytest.mark.arca_only
def test_failed_create_leaves_nothing(rt, make_bundle, breakage, expect):
    def mutate(b):
        if breakage == "validation":
            b.process["cwd"] = "relative"
        elif breakage == "plan":
            b.linux["sysctl"] = {"vm.swappiness": "10"}
        elif breakage == "child_sysctl_value":
            b.linux["sysctl"] = {"kernel.shmmax": "not-a-number"}
        elif breakage == "child_mount":
            b.config["mounts"].append({"destination": "/bad", "type": "tmpfs",
                                       "source": "tmpfs", "options": ["size=bogus"]})
        elif breakage == "child_exec":
            b.set_args("/no/such/binary")
    b = make_bundle(mutate)
    cid = new_id()
    b.write_config()
    if breakage == "bad_json":
        with open(os.path.join(b.dir, "config.json"), "w") as f:
            f.write("{not json")
        p = rt.cmd("create", "--bundle", b.dir, cid)
    else:
        p = rt.create(cid, b)
    err = p.stderr if isinstance(p.stderr, str) else p.stderr
    assert p.returncode != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f'arca: create "{cid}": '), err
    assert expect in lines[0], err
    assert_nothing_left(rt, cid)


@pytest.mark.arca_only
def test_sigkilled_create_leaves_nothing_after_delete(rt, make_bundle, tmp_path):
    # The init blocks opening a namespace "path" that is a fifo with no writer: a step
    # that never finishes. SIGKILL the create meanwhile: the init must die with it
    # (it must not wait forever), and delete --force must clean up the state dir.
    fifo = tmp_path / "netns-fifo"
    os.mkfifo(fifo)
    b = make_bundle(lambda b: b.add_namespace("network", str(fifo)))
    cid = new_id()
    b.write_config()
    create = subprocess.Popen(rt.argv("create", "--bundle", b.dir, cid),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    rt.track(cid)
    deadline = time.time() + 10
    while time.time() < deadline and len(processes_mentioning(cid)) < 2:
        time.sleep(0.05)
    assert len(processes_mentioning(cid)) >= 2, "init did not start"
    assert rt.status(cid) == "creating"
    create.send_signal(signal.SIGKILL)
    create.wait()
    deadline = time.time() + 10
    while time.time() < deadline and processes_mentioning(cid):
        time.sleep(0.05)
    assert processes_mentioning(cid) == [], "init outlived its create"
    p = rt.delete(cid, force=True)
    assert p.returncode == 0, p.stderr
    assert_nothing_left(rt, cid)
    # Its cgroups (named after the id: no cgroupsPath) went with the delete too.
    from test_cgroups import left_over
    assert left_over(cid) == []


@pytest.mark.arca_only
def test_delete_force_of_killed_created_container(rt, make_bundle):
    b = make_bundle(lambda b: b.set_args("true"))
    cid = new_id()
    assert rt.create(cid, b).returncode == 0
    pid = rt.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)
    rt.wait_status(cid, "stopped")
    assert rt.delete(cid, force=True).returncode == 0
    assert_nothing_left(rt, cid)
