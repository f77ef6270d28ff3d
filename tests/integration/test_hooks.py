"""OCI hooks (runtime-spec 1.2 config.md "POSIX-platform Hooks", runtime.md "Lifecycle").

Every hook is one shell script, written by the test, that records into a log dir: the
phase (appended to `events`, so the order shows), its stdin (the state), argv, one env
var, its mount namespace and its open fds. Runtime-namespace hooks run the host's
/bin/sh; the startContainer hook runs the container's busybox sh. The log dir is
bind-mounted into the container at /log, so both sides write the same files.
"""
import json
import os
import subprocess

import pytest

import arcatest
from arcatest import new_id

PHASES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
          "poststop"]
STATUS = {"prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
          "startContainer": "created", "poststart": "running", "poststop": "stopped"}
PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

RECORDER = """#!/bin/sh
umask 0  # hooks in a user namespace append to the same files as a different host uid
phase=$1
d=$HOOK_LOG
echo "$phase" >> "$d/events"
cat > "$d/$phase.json"
printf '%s\\n' "$0" "$@" > "$d/$phase.argv"
echo "$HOOK_VAR" > "$d/$phase.env"
readlink /proc/self/ns/mnt > "$d/$phase.mnt"
for f in /proc/$$/fd/*; do echo "${f##*/} $(readlink "$f")"; done > "$d/$phase.fds"
"""


def host_hook(b, name, body):
    """A script in the bundle dir (runtime namespace) with `body` after the shebang."""
    path = os.path.join(b.dir, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def setup_recording(b, phases=PHASES, annotations=None):
    """Adds a recording hook for each phase; returns the host log dir."""
    log = os.path.join(b.dir, "log")
    os.makedirs(log)
    os.chmod(log, 0o777)
    os.makedirs(os.path.join(b.rootfs, "log"))  # a mapped root may not create it
    host = os.path.join(b.dir, "record.sh")
    with open(host, "w") as f:
        f.write(RECORDER)
    os.chmod(host, 0o755)
    inside = os.path.join(b.rootfs, "record.sh")
    with open(inside, "w") as f:
        f.write(RECORDER)
    os.chmod(inside, 0o755)
    b.config.setdefault("mounts", []).append(
        {"destination": "/log", "type": "bind", "source": log, "options": ["rbind", "rw"]})
    hooks = {}
    for phase in phases:
        in_container = phase == "startContainer"
        hooks[phase] = [{
            "path": "/record.sh" if in_container else host,
            "args": ["record.sh", phase, "two words"],
            "env": [PATH, "HOOK_LOG=" + ("/log" if in_container else log),
                    "HOOK_VAR=value of " + phase],
        }]
    b.config["hooks"] = hooks
    if annotations:
        b.config["annotations"] = annotations
    return log


def recording_bundle(make_bundle, args, phases=PHASES, annotations=None, then=None):
    """A bundle with recording hooks (setup_recording) running `args`; `then(b)` may
    change it further. Returns (bundle, log dir)."""
    logs = []

    def mut(b):
        logs.append(setup_recording(b, phases, annotations))
        b.set_args(*args)
        if then:
            then(b)

    b = make_bundle(mut)
    return b, logs[0]


def container_hook(b, name, body):
    """A script in the rootfs (found by its path inside the container)."""
    path = os.path.join(b.rootfs, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return "/" + name


def read(log, name):
    with open(os.path.join(log, name)) as f:
        return f.read()


def events(log):
    p = os.path.join(log, "events")
    return read(log, "events").split() if os.path.exists(p) else []


def hook_state(log, phase):
    return json.loads(read(log, phase + ".json"))


def cgroup_dirs(cid):
    found = []
    for dirpath, dirnames, _ in os.walk("/sys/fs/cgroup"):
        if os.path.basename(dirpath) == cid:
            found.append(dirpath)
        if dirpath.count("/") >= 8:
            dirnames[:] = []
    return found


def alive(pid):
    """True while pid runs (a zombie waiting for its reaper does not count)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def assert_nothing_left(rt, cid):
    assert rt.state(cid) is None, "state dir left behind"
    assert not os.path.exists(os.path.join(rt.root, cid))
    assert arcatest.leaked_pids(cid) == [], "processes left behind"
    assert cgroup_dirs(cid) == [], "cgroups left behind"


def create(rt, b, cid):
    p = rt.create(cid, b)
    assert p.returncode == 0, p.stderr
    return p


# --------------------------------------------------------------------------- lifecycle
@pytest.mark.arca_only  # runc 1.1 runs poststart in create, before the process starts
def test_each_hook_runs_once_at_its_phase(rt, make_bundle):
    b, log = recording_bundle(make_bundle, ["/bin/true"],
                              annotations={"com.example.hooks": "yes"})
    cid = new_id()
    create(rt, b, cid)
    assert events(log) == ["prestart", "createRuntime", "createContainer"]
    st = rt.state(cid)
    assert st["status"] == "created"
    assert st["annotations"] == {"com.example.hooks": "yes"}
    p = rt.start(cid)
    assert p.returncode == 0, p.stderr
    assert events(log) == PHASES[:5]
    assert rt.wait_status(cid, "stopped") == "stopped"
    p = rt.delete(cid)
    assert p.returncode == 0, p.stderr
    assert events(log) == PHASES


@pytest.mark.arca_only  # runc 1.1 sends pid 1 to hooks in the container, "created" to poststart
def test_hooks_read_the_state_with_the_status_of_their_phase(rt, make_bundle):
    b, log = recording_bundle(make_bundle, ["/bin/sh", "-c", "sleep 600"],
                              annotations={"com.example.hooks": "yes", "k2": ""})
    cid = new_id()
    create(rt, b, cid)
    pid = rt.state(cid)["pid"]
    assert rt.start(cid).returncode == 0
    assert rt.delete(cid, force=True).returncode == 0
    for phase in PHASES:
        st = hook_state(log, phase)
        assert st["status"] == STATUS[phase], phase
        assert st["id"] == cid, phase
        assert st["bundle"] == b.dir, phase
        assert st["annotations"] == {"com.example.hooks": "yes", "k2": ""}, phase
        if phase == "poststop":
            assert "pid" not in st
        else:
            # The init's pid as the host sees it, also for hooks run in the container.
            assert st["pid"] == pid, phase


def _userns(b):
    b.add_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def _intermediate(b):
    # A time namespace with offsets is created by an intermediate process.
    b.add_namespace("time")
    b.linux["timeOffsets"] = {"monotonic": {"secs": 1, "nanosecs": 0}}


@pytest.mark.arca_only  # the order (runc 1.1 runs poststart in create)
@pytest.mark.parametrize("variant", ["userns", "intermediate", "cgroupns"])
def test_hooks_in_every_launch_shape(rt, make_bundle, variant):
    """The init asks for the createRuntime hooks whether or not the sync conversation
    has id maps, an intermediate process or a cgroup namespace in it."""
    shape = {"userns": _userns, "intermediate": _intermediate,
             "cgroupns": lambda b: b.add_namespace("cgroup")}[variant]
    b, log = recording_bundle(make_bundle, ["/bin/sh", "-c", "readlink /proc/self/ns/mnt > /log/process.mnt"], then=shape)
    p = rt.run(new_id(), b)
    assert p.returncode == 0, p.stderr
    assert events(log) == PHASES
    container = read(log, "process.mnt").strip()
    assert read(log, "createContainer.mnt").strip() == container
    assert read(log, "startContainer.mnt").strip() == container
    pid = hook_state(log, "createRuntime")["pid"]
    assert pid > 0
    for phase in PHASES[:-1]:
        assert hook_state(log, phase)["pid"] == pid, phase


def test_args_and_env_reach_the_hooks(rt, make_bundle):
    b, log = recording_bundle(make_bundle, ["/bin/true"])
    p = rt.run(new_id(), b)
    assert p.returncode == 0, p.stderr
    assert sorted(events(log)) == sorted(PHASES)
    for phase in PHASES:
        argv = read(log, phase + ".argv").splitlines()
        assert argv[1:] == [phase, "two words"], phase
        assert read(log, phase + ".env") == "value of " + phase + "\n"


def test_hooks_run_in_the_namespaces_the_spec_says(rt, make_bundle):
    b, log = recording_bundle(make_bundle, ["/bin/sh", "-c", "readlink /proc/self/ns/mnt > /log/process.mnt"])
    p = rt.run(new_id(), b)
    assert p.returncode == 0, p.stderr
    host = os.readlink("/proc/self/ns/mnt")
    container = read(log, "process.mnt").strip()
    assert container != host
    for phase in ["prestart", "createRuntime", "poststart", "poststop"]:
        assert read(log, phase + ".mnt").strip() == host, phase
    for phase in ["createContainer", "startContainer"]:
        assert read(log, phase + ".mnt").strip() == container, phase


@pytest.mark.arca_only  # runc 1.1 passes the sync socket and preserved fds to some hooks
def test_hooks_get_no_fds_of_arca_or_the_container(rt, make_bundle):
    """Only stdio: not the sync socket, the state dir lock, the exec fifo, start.sock,
    nor the fds `--preserve-fds` passes to the container process."""
    b, log = recording_bundle(make_bundle, ["/probe"])
    marker = os.path.join(b.dir, "preserved-fd")
    open(marker, "w").close()
    cid = new_id()
    rt.track(cid)
    b.write_config()
    p = subprocess.run(["/bin/sh", "-c", 'exec "$@" 3<"$F3"', "sh",
                        *rt.argv("run", "--bundle", b.dir, "--preserve-fds", "1", cid)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, F3=marker))
    assert p.returncode == 0, p.stderr
    assert arcatest.parse_probe(p.stdout)["fds"]["3"] == marker  # the process got it
    for phase in PHASES:
        fds = read(log, phase + ".fds")
        assert "socket:" not in fds, (phase, fds)
        assert "preserved-fd" not in fds, (phase, fds)
        assert rt.root not in fds, (phase, fds)
        assert "exec.fifo" not in fds, (phase, fds)


# --------------------------------------------------------------------------- failures
@pytest.mark.arca_only
@pytest.mark.parametrize("phase", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_create_and_leaves_nothing(rt, make_bundle, phase):
    def failing(b):
        b.config["hooks"][phase] = [{"path": host_hook(b, "fail.sh", "echo broken >&2; exit 3")}]

    b, log = recording_bundle(make_bundle, ["/bin/true"], ["poststop"], then=failing)
    cid = new_id()
    p = rt.create(cid, b)
    assert p.returncode != 0
    err = p.stderr.strip().splitlines()
    assert len(err) == 1, p.stderr
    where = "" if phase != "createContainer" else "container init: "
    assert err[0] == (f'arca: create "{cid}": {where}{phase} hook 0 "{b.dir}/fail.sh": '
                      f'exit status 3, output: "broken"')
    assert_nothing_left(rt, cid)
    # runtime.md: continue at step 12 (destroy), then 13: poststop runs, as with runc.
    assert events(log) == ["poststop"]


@pytest.mark.arca_only
def test_hook_timeout_kills_the_hook_and_fails(rt, make_bundle):
    def mut(b):
        b.config["hooks"] = {"createRuntime": [{
            "path": host_hook(b, "slow.sh", 'echo $$ > "$0.pid"; exec sleep 600'),
            "timeout": 1}]}

    b = make_bundle(mut)
    cid = new_id()
    p = rt.create(cid, b)
    assert p.returncode != 0
    assert p.stderr.strip() == (f'arca: create "{cid}": createRuntime hook 0 '
                                f'"{b.dir}/slow.sh": timed out after 1s')
    with open(os.path.join(b.dir, "slow.sh.pid")) as f:
        pid = int(f.read())
    assert not alive(pid), "the hook still runs"
    assert_nothing_left(rt, cid)


@pytest.mark.arca_only
def test_failing_start_container_hook_fails_start_and_destroys(rt, make_bundle):
    def failing(b):
        path = container_hook(b, "fail.sh", "echo no ldconfig >&2; exit 1")
        b.config["hooks"]["startContainer"] = [{"path": path}]

    b, log = recording_bundle(make_bundle, ["/bin/sh", "-c", "touch /log/process-ran"],
                              ["poststart", "poststop"], then=failing)
    cid = new_id()
    create(rt, b, cid)
    p = rt.start(cid)
    assert p.returncode != 0
    assert p.stderr.strip() == (f'arca: start "{cid}": container init: startContainer hook 0 '
                                f'"/fail.sh": exit status 1, output: "no ldconfig"')
    assert not os.path.exists(os.path.join(log, "process-ran"))
    assert_nothing_left(rt, cid)
    assert events(log) == ["poststop"]  # no poststart: the process never ran


@pytest.mark.arca_only
def test_failing_start_container_hook_fails_run(rt, make_bundle):
    def mut(b):
        b.config["hooks"] = {"startContainer": [{"path": container_hook(b, "fail.sh", "exit 4")}]}

    b = make_bundle(mut)
    cid = new_id()
    p = rt.run(cid, b)
    assert p.returncode == 1
    assert p.stderr.strip() == (f'arca: run "{cid}": container init: startContainer hook 0 '
                                f'"/fail.sh": exit status 4')
    assert p.stdout == ""  # the probe never ran
    assert_nothing_left(rt, cid)


@pytest.mark.arca_only
def test_failing_poststart_hook_fails_start_and_destroys(rt, make_bundle):
    """runc 1.1 fails and destroys the container when a poststart hook fails (it runs
    them in create); arca runs them in start, after the process started, and does the
    same there. runtime-spec 1.2 says so too (step 9: stop, continue at step 12)."""
    def failing(b):
        b.config["hooks"]["poststart"] = [{"path": host_hook(b, "fail.sh", "exit 2")}]

    b, log = recording_bundle(make_bundle, ["/bin/sh", "-c", "sleep 600"], ["poststop"],
                              then=failing)
    cid = new_id()
    create(rt, b, cid)
    pid = rt.state(cid)["pid"]
    p = rt.start(cid)
    assert p.returncode != 0
    assert p.stderr.strip() == (f'arca: start "{cid}": poststart hook 0 "{b.dir}/fail.sh": '
                                f'exit status 2')
    assert not alive(pid)
    assert_nothing_left(rt, cid)
    assert events(log) == ["poststop"]


@pytest.mark.arca_only
def test_failing_poststart_hook_fails_run(rt, make_bundle):
    def mut(b):
        b.config["hooks"] = {"poststart": [{"path": host_hook(b, "fail.sh", "exit 2")}]}
        b.set_args("/bin/sh", "-c", "sleep 600")

    b = make_bundle(mut)
    cid = new_id()
    p = rt.run(cid, b, "-d")
    assert p.returncode != 0
    assert p.stderr.strip() == (f'arca: run "{cid}": poststart hook 0 "{b.dir}/fail.sh": '
                                f'exit status 2')
    assert_nothing_left(rt, cid)


@pytest.mark.arca_only  # runc 1.1 skips the poststop hooks after a failing one
def test_failing_poststop_hook_only_warns(rt, make_bundle):
    def failing_first(b):
        b.config["hooks"]["poststop"].insert(0, {"path": host_hook(b, "fail.sh", "exit 5")})

    b, log = recording_bundle(make_bundle, ["/bin/true"], ["poststop"], then=failing_first)
    cid = new_id()
    create(rt, b, cid)
    assert rt.start(cid).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"
    p = rt.delete(cid)
    assert p.returncode == 0, p.stderr
    assert "poststop hook 0" in p.stderr and "exit status 5" in p.stderr, p.stderr
    assert events(log) == ["poststop"]  # the next hook still ran (runtime.md step 13)
    assert rt.state(cid) is None


@pytest.mark.arca_only
def test_failing_poststop_hook_warning_line(rt, make_bundle):
    def mut(b):
        b.config["hooks"] = {"poststop": [{"path": host_hook(b, "fail.sh", "exit 5")}]}
        b.set_args("/bin/true")

    b = make_bundle(mut)
    cid = new_id()
    p = rt.run(cid, b)
    assert p.returncode == 0
    assert p.stderr.strip() == (f'arca: warning: poststop hook 0 "{b.dir}/fail.sh": '
                                f'exit status 5')


# --------------------------------------------------------------------------- features
@pytest.mark.arca_only
def test_features_lists_the_hooks(runtime_features):
    assert runtime_features["hooks"] == PHASES


@pytest.mark.differential
def test_runtime_namespace_hooks_match_runc(rt, ref, make_bundle):
    """prestart, createRuntime and poststop get the same argv, env and state as with
    runc. (runc sends pid 1 to hooks in the container and runs poststart in create with
    "created"; arca sends the host pid and runs poststart in start with "running".)"""
    seen = []
    for runtime in (rt, ref):
        b, log = recording_bundle(make_bundle, ["/bin/true"],
                                  ["prestart", "createRuntime", "poststop"], {"a": "b"})
        cid = new_id()
        p = runtime.run(cid, b)
        assert p.returncode == 0, p.stderr
        got = {}
        for phase in ["prestart", "createRuntime", "poststop"]:
            st = hook_state(log, phase)
            st.pop("ociVersion")
            st["id"] = st["id"] == cid
            st["bundle"] = st["bundle"] == b.dir
            st["pid"] = "pid" in st
            got[phase] = (st, read(log, phase + ".argv").splitlines()[1:],
                          read(log, phase + ".env"))
        got["order"] = events(log)
        seen.append(got)
    assert seen[0] == seen[1]
