"""The systemd cgroup driver (--systemd-cgroup) against a FAKE systemd.

This host has no systemd as PID 1, so these tests run a private dbus-daemon and
fake_systemd.py, a small stand-in for org.freedesktop.systemd1 that creates the scope's
cgroups and moves the PIDs like systemd would, and point arca at it with the test hook
ARCA_SYSTEMD_BUS (which also stands in for "systemd is PID 1"). What this checks is arca's
side of the conversation: the D-Bus client, the unit name, slice and properties, waiting
for JobRemoved, the init's placement, StopUnit at delete and the cleanup on errors. It does
not check what a real systemd makes of those properties (docs/design/cgroups.md).

The fake creates the scope under a unique slice (arcatest<random>-x.slice) in the
hierarchies systemd manages on v1 (name=systemd, cpu, cpuacct, blkio, memory, devices,
pids) and cgroup2; arca makes the others, as with a real systemd. A rule of this machine:
no process leaves the test's own memory cgroup (/process_api/<hash>). So the fake roots its
tree there in every hierarchy (ROOT/arcatest<random>.slice/...), and tells arca so through
the unit's ControlGroup, which arca follows; the tests check that every process involved
stays inside. Every directory made for this (in the hierarchies where we sit at "/", the
ROOT levels too) is removed here, deepest first.
"""
import errno
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from arcatest import new_id

pytestmark = pytest.mark.arca_only

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMD_CONTROLLERS = {"name=systemd", "cpu", "cpuacct", "blkio", "memory", "devices", "pids"}
DBUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def cgroup_mounts():
    """(mount point, systemd manages it) for every cgroup hierarchy mounted at its root."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            fields, sfields = pre.split(), post.split()
            if sfields[0] not in ("cgroup", "cgroup2") or fields[3] != "/":
                continue
            opts = set(sfields[2].split(","))
            out.append((fields[4], sfields[0] == "cgroup2" or bool(opts & SYSTEMD_CONTROLLERS)))
    return out


def init_cgroups(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return [line.rstrip("\n").split(":", 2) for line in f if line.strip()]


def memory_cgroup(pid="self"):
    for _, controllers, path in init_cgroups(pid):
        if "memory" in controllers.split(","):
            return path
    raise AssertionError("no memory cgroup")


OWN_MEMORY = memory_cgroup()


def inside_own_memory(path):
    return path is not None and path.startswith(OWN_MEMORY.rstrip("/") + "/")


def prefixes(path):
    """"/a/b/c" -> ["/a", "/a/b", "/a/b/c"]."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]


class FakeSystemd:
    def __init__(self, tmp, mode):
        self.tmp = tmp
        self.slice_top = "arcatest" + secrets.token_hex(4)
        self.slice = self.slice_top + "-x.slice"
        self.log = os.path.join(tmp, "calls.jsonl")
        socket = os.path.join(tmp, "bus")
        self.address = "unix:path=" + socket
        conf = os.path.join(tmp, "bus.conf")
        with open(conf, "w") as f:
            f.write(DBUS_CONFIG.format(socket=socket))
        self.daemon = subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork",
                                        "--print-address"], stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True)
        self.daemon.stdout.readline()  # listening once it prints its address
        self.root = OWN_MEMORY.rstrip("/")
        # The tree's top in each hierarchy: the first level of ROOT/<slice_top>.slice that
        # does not exist yet; all of it is ours to remove at stop().
        self.tops, self.mounts = [], [m for m, _ in cgroup_mounts()]
        for m in self.mounts:
            new = [m + p for p in prefixes(f"{self.root}/{self.slice_top}.slice")
                   if not os.path.isdir(m + p)]
            self.tops.append(new[0])
        self.managed = [m for m, by_systemd in cgroup_mounts() if by_systemd]
        self.fake = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "fake_systemd.py"),
                                      self.address, self.log, mode, OWN_MEMORY, *self.managed],
                                     stdout=subprocess.PIPE, text=True)
        assert self.fake.stdout.readline().strip() == "ready"

    def env(self, **extra):
        return dict(os.environ, ARCA_SYSTEMD_BUS=self.address, **extra)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [c for c in map(json.loads, f) if "method" in c]

    def made(self):
        """The fake's "made" events: the directories it created, and the memory cgroup of
        each PID it moved into the scope."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [c for c in map(json.loads, f) if c.get("event") == "made"]

    def scope_path(self, unit):
        return f"{self.root}/{self.slice_top}.slice/{self.slice}/{unit}"

    def scope_dirs(self, unit):
        return [m + self.scope_path(unit) for m, _ in cgroup_mounts()]

    def stop(self):
        for p in (self.fake, self.daemon):
            p.kill()
            p.wait()
        # Only what this test made, deepest first: the scopes (left when a test failed; their
        # processes are this test's containers), the two slice levels, then the ROOT levels
        # that did not exist before, with rmdir only (one still in use by someone else's
        # tree is theirs too, and stays).
        for m, top in zip(self.mounts, self.tops):
            mine = f"{m}{self.root}/{self.slice_top}.slice"
            if os.path.isdir(mine):
                dirs = [root for root, _, _ in os.walk(mine)]
                for d in sorted(dirs, key=len, reverse=True):
                    remove_cgroup(d)
            for d in reversed([m + p for p in prefixes(self.root)]):
                if len(d) < len(top):
                    break
                try:
                    os.rmdir(d)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    if e.errno not in (errno.ENOTEMPTY, errno.EBUSY):
                        raise


def remove_cgroup(d):
    for _ in range(500):
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError:
            with open(os.path.join(d, "cgroup.procs")) as f:
                for pid in f.read().split():
                    os.kill(int(pid), signal.SIGKILL)
            time.sleep(0.01)
    os.rmdir(d)


@pytest.fixture
def fake_systemd():
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon not installed (Debian package dbus)")
    made = []
    tmp = tempfile.mkdtemp(prefix="arca-fake-systemd-")

    def start(mode="ok"):
        d = os.path.join(tmp, str(len(made)))
        os.mkdir(d)
        made.append(FakeSystemd(d, mode))
        return made[-1]

    yield start
    for f in made:
        f.stop()
    shutil.rmtree(tmp)


def systemd_bundle(make_bundle, cgroups_path, resources):
    def mutate(b):
        b.set_args("sleep", "1000")
        b.linux["resources"] = resources
        b.linux["cgroupsPath"] = cgroups_path
    return make_bundle(mutate)


def create(rt, fake, cid, b, env=None):
    """`arca --systemd-cgroup create`; (returncode, stderr). The init keeps its stdio, so
    that goes to files rather than pipes."""
    err_path = os.path.join(b.dir, "create.stderr")
    with open(os.path.join(b.dir, "create.stdout"), "wb") as out, open(err_path, "wb") as err:
        p = subprocess.run(rt.argv("create", "--bundle", b.dir, cid,
                                   global_args=("--systemd-cgroup",)),
                           stdout=out, stderr=err, timeout=60, stdin=subprocess.DEVNULL,
                           env=env or fake.env())
    with open(err_path) as f:
        return p.returncode, f.read()


def test_create_starts_a_scope_and_delete_stops_it(rt, make_bundle, fake_systemd):
    fake = fake_systemd()
    cid = new_id()
    unit = f"arca-{cid}.scope"
    b = systemd_bundle(make_bundle, f"{fake.slice}:arca:{cid}",
                       {"memory": {"limit": 64 << 20}, "pids": {"limit": 50},
                        "cpu": {"shares": 512, "quota": 25000, "period": 100000}})
    rt.track(cid)
    rc, stderr = create(rt, fake, cid, b)
    assert rc == 0, stderr
    start, get_unit, get = fake.calls()
    assert start["method"] == "StartTransientUnit" and start["name"] == unit
    assert start["mode"] == "replace" and start["aux"] == []
    props = start["props"]
    assert props["Slice"] == fake.slice
    assert props["Delegate"] is True and props["DefaultDependencies"] is False
    assert props["MemoryAccounting"] is True and props["TasksAccounting"] is True
    assert props["MemoryLimit"] == 64 << 20 and props["TasksMax"] == 50
    assert props["CPUShares"] == 512 and props["CPUQuotaPerSecUSec"] == 250000
    # PIDs: arca itself (as `systemd-run --scope`), which forks the init in the scope and
    # then leaves it: only the init is there now.
    [pid] = props["PIDs"]
    init = rt.state(cid)["pid"]
    assert pid != init
    # Then where systemd put it: the unit's ControlGroup.
    assert get_unit == {"method": "GetUnit", "name": unit}
    assert get["path"] == "/org/freedesktop/systemd1/unit/arca_2d" + cid.replace("-", "_2d") \
        + "_2escope" and (get["interface"], get["property"]) == (
            "org.freedesktop.systemd1.Scope", "ControlGroup")
    # arca, while in the scope, and the init never left the test's memory cgroup.
    [made] = fake.made()
    assert made["memory"] == [fake.scope_path(unit)]
    assert inside_own_memory(made["memory"][0]) and inside_own_memory(memory_cgroup(init))
    lines = init_cgroups(init)
    assert lines and all(path == fake.scope_path(unit) for _, _, path in lines), lines
    for d in fake.scope_dirs(unit):
        with open(os.path.join(d, "cgroup.procs")) as f:
            assert f.read().split() == [str(init)], d
    memory = [d for d in fake.scope_dirs(unit) if "/memory/" in d]
    if memory:
        with open(os.path.join(memory[0], "memory.limit_in_bytes")) as f:
            assert int(f.read()) == 64 << 20
    p = rt.cmd("delete", "--force", cid, env=fake.env())
    assert p.returncode == 0, p.stderr
    assert [c["method"] for c in fake.calls()] == ["StartTransientUnit", "GetUnit", "Get",
                                                   "StopUnit"]
    assert fake.calls()[3]["name"] == unit
    assert [d for d in fake.scope_dirs(unit) if os.path.exists(d)] == []
    assert not os.path.exists(os.path.join(rt.root, cid))


def test_run_leaves_the_scope_to_the_init_and_stops_it_at_exit(rt, make_bundle, fake_systemd):
    """A foreground `run` stays alive beside its container: arca started the scope with
    itself inside, so it must have moved back out once the init was forked."""
    fake = fake_systemd()
    cid = new_id()
    unit = f"arca-{cid}.scope"
    b = systemd_bundle(make_bundle, f"{fake.slice}:arca:{cid}", {"pids": {"limit": 20}})
    b.set_args("sh", "-c", "cat /proc/self/cgroup; read x")
    b.write_config()
    rt.track(cid)
    with open("/proc/self/cgroup") as f:
        ours = f.read()
    p = subprocess.Popen(rt.argv("run", "--bundle", b.dir, cid,
                                 global_args=("--systemd-cgroup",)),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=fake.env())
    try:
        first = p.stdout.readline()  # the container is running
        assert f"/{fake.slice}/{unit}" in first, (first, p.stderr.read() if not first else "")
        seen = [p.stdout.readline() for _ in range(len(init_cgroups("self")) - 1)]
        memory = [line.rstrip("\n").split(":", 2)[2] for line in [first] + seen
                  if "memory" in line.split(":")[1].split(",")]
        assert memory == [fake.scope_path(unit)] and inside_own_memory(memory[0]), memory
        assert all(inside_own_memory(m) for e in fake.made() for m in e["memory"])
        with open(f"/proc/{p.pid}/cgroup") as f:
            assert f.read() == ours  # arca is back where it was
        for d in fake.scope_dirs(unit):
            with open(os.path.join(d, "cgroup.procs")) as f:
                assert str(p.pid) not in f.read().split(), d
        out, err = p.communicate("\n", timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert [c["method"] for c in fake.calls()] == ["StartTransientUnit", "GetUnit", "Get",
                                                   "StopUnit"]
    assert [d for d in fake.scope_dirs(unit) if os.path.exists(d)] == []


@pytest.mark.parametrize("mode,reason", [
    ("error", "org.freedesktop.systemd1.UnitExists: Unit {unit} already exists."),
    ("hang", "job /org/freedesktop/systemd1/job/1 timed out"),
    ("fail", 'job result "failed"'),
    ("nocg", 'ControlGroup "" is not a cgroup path'),
])
def test_a_failing_systemd_is_one_line_and_leaves_nothing(rt, make_bundle, fake_systemd, mode,
                                                          reason):
    fake = fake_systemd(mode)
    cid = new_id()
    unit = f"arca-{cid}.scope"
    b = systemd_bundle(make_bundle, f"{fake.slice}:arca:{cid}", {"pids": {"limit": 20}})
    rt.track(cid)
    rc, stderr = create(rt, fake, cid, b, env=fake.env(ARCA_SYSTEMD_TIMEOUT_MS="1500"))
    assert rc == 1, stderr
    assert stderr == (f'arca: create "{cid}": systemd: start unit "{unit}": '
                      + reason.format(unit=unit) + "\n"), stderr
    methods = [c["method"] for c in fake.calls()]
    # A unit systemd refused may be someone else's: only a started one is stopped.
    assert methods == {"error": ["StartTransientUnit"],
                       "nocg": ["StartTransientUnit", "GetUnit", "Get", "StopUnit"]}.get(
                           mode, ["StartTransientUnit", "StopUnit"])
    made = fake.made()
    assert (made == []) == (mode == "error"), made  # the checks below cover something
    assert all(inside_own_memory(m) for e in made for m in e["memory"])
    assert [d for d in fake.scope_dirs(unit) if os.path.exists(d)] == []
    assert not os.path.exists(os.path.join(rt.root, cid))
    # arca moved itself back before the unit was stopped: it was not killed (rc 1 above).


def test_delete_without_systemd_warns_and_leaves_nothing(rt, make_bundle, fake_systemd):
    # systemd gone (or its bus) after create: delete still removes the container, with a
    # warning naming the unit, instead of failing on it forever.
    fake = fake_systemd()
    cid = new_id()
    unit = f"arca-{cid}.scope"
    b = systemd_bundle(make_bundle, f"{fake.slice}:arca:{cid}", {"pids": {"limit": 50}})
    rt.track(cid)
    rc, stderr = create(rt, fake, cid, b)
    assert rc == 0, stderr
    fake.fake.kill()
    fake.fake.wait()
    p = rt.cmd("delete", "--force", cid, env=fake.env())
    assert p.returncode == 0, p.stderr
    assert p.stderr.startswith(f'arca: warning: systemd unit "{unit}": '), p.stderr
    assert [d for d in fake.scope_dirs(unit) if os.path.exists(d)] == []
    assert not os.path.exists(os.path.join(rt.root, cid))
