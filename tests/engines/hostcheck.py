"""What the engine tests leave on the host: the private mount namespace the engines run in,
the session's cgroup tree, leaked processes and mounts, and host dirs the packages create.

Nothing here touches anything outside the session's temp dir, its cgroup tree (named after
the session token) and the few host dirs listed in HOST_DIRS (removed only when this session
created them and they are empty again).
"""
import os
import pty
import select
import signal
import socket
import subprocess
import time

import arcatest  # tests/integration, on sys.path through conftest.py

CGROUP_ROOT = "/sys/fs/cgroup"

# Created by the engines outside their configured dirs: containerd-shim-runc-v2 1.6 puts its
# socket in /run/containerd/s/<hash> whatever the daemon's state dir; containers/image puts
# its blob-info cache for root in /var/lib/containers/cache.
SHIM_SOCKETS = "/run/containerd/s"
HOST_DIRS = [SHIM_SOCKETS, "/run/containerd/fifo", "/run/containerd",
             "/var/lib/containers/cache", "/var/lib/containers"]
HOST_FILES = ["/var/lib/containers/cache/blob-info-cache-v1.boltdb"]


class MountNamespace:
    """A private mount namespace held open by a sleeping process; every engine command runs
    in it (nsenter), so their mounts never show on the host and die with it."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sleep", "infinity"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        host = os.readlink("/proc/self/ns/mnt")
        for _ in range(200):
            try:
                if os.readlink(f"/proc/{self.proc.pid}/ns/mnt") != host:
                    break
            except OSError:
                pass
            time.sleep(0.01)
        else:
            self.close()
            raise RuntimeError("unshare did not enter a new mount namespace")
        self.prefix = ["nsenter", "-t", str(self.proc.pid), "-m", "--"]

    def mounts_under(self, path):
        return mounts_under(path, f"/proc/{self.proc.pid}/mountinfo")

    def mounts_matching(self, needle):
        with open(f"/proc/{self.proc.pid}/mountinfo") as f:
            return [line.strip() for line in f if needle in line]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def mounts_under(path, mountinfo="/proc/self/mountinfo"):
    """Mount points at or below path in the mount namespace of mountinfo, deepest first."""
    res = []
    with open(mountinfo) as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == path or mp.startswith(path.rstrip("/") + "/"):
                res.append(mp)
    return sorted(res, key=len, reverse=True)


def hierarchies():
    """Every mounted cgroup hierarchy dir (v1 controllers, name=systemd, unified/v2)."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            if fstype in ("cgroup", "cgroup2") and fields[4].startswith(CGROUP_ROOT):
                res.append(fields[4])
    return sorted(set(res))


def cgroup_dirs(rel):
    """Existing dirs for cgroup path rel ('/token/...') in every hierarchy."""
    return [h + rel for h in hierarchies() if os.path.isdir(h + rel)]


def cgroup_tree(rel):
    """Every dir at or below rel in every hierarchy, deepest first."""
    res = []
    for top in cgroup_dirs(rel):
        for dirpath, _, _ in os.walk(top):
            res.append(dirpath)
    return sorted(res, key=lambda p: p.count("/"), reverse=True)


def thaw_cgroup_tree(rel):
    """Thaws every frozen cgroup at or below rel (v1 freezer.state, v2 cgroup.freeze): a
    paused container's processes die of SIGKILL only once thawed."""
    for d in cgroup_tree(rel):
        for name, frozen, thawed in (("freezer.state", "FROZEN", "THAWED"),
                                     ("cgroup.freeze", "1", "0")):
            path = os.path.join(d, name)
            try:
                with open(path) as f:
                    if f.read().strip() != frozen:
                        continue
                with open(path, "w") as f:
                    f.write(thawed)
            except OSError:
                pass


def nested_cgroup_base(name, controller="memory"):
    """'/<own cgroup>/name': where this session's containers go. This machine's rule: no
    process may leave its own memory cgroup subtree, so the engines' cgroup parents nest
    under ours (engines take one absolute path for every hierarchy: in the others the
    same path is made below their root)."""
    own = proc_cgroup(os.getpid(), controller).rstrip("/")
    return f"{own}/{name}"


def missing_parents(rel):
    """The dirs above rel (not rel itself) that do not exist yet in each hierarchy,
    deepest first: what creating rel would add, and what to remove again at the end."""
    parts = [p for p in rel.split("/") if p][:-1]
    res = []
    for h in hierarchies():
        path = h
        for part in parts:
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                res.append(path)
    return sorted(res, key=lambda p: p.count("/"), reverse=True)


def remove_dirs(dirs):
    """rmdir each (deepest first) that exists; returns the ones that could not go."""
    left = []
    for d in dirs:
        try:
            os.rmdir(d)
        except FileNotFoundError:
            pass
        except OSError as e:
            left.append(f"{d}: {e.strerror}")
    return left


def remove_cgroup_tree(rel):
    """rmdir (never rm -r: cgroupfs) every dir below and at rel; returns the ones left."""
    left = []
    for d in cgroup_tree(rel):
        try:
            os.rmdir(d)
        except OSError as e:
            left.append(f"{d}: {e.strerror}")
    return left


def proc_cgroup(pid, controller="memory"):
    """The cgroup path of pid in a v1 controller (or the v2 path when controller is '')."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(",") or (not controller and ctrls == ""):
                return path
    raise KeyError(f"no {controller} cgroup for pid {pid}")


def cgroup_file(pid, controller, name):
    rel = proc_cgroup(pid, controller)
    for h in hierarchies():
        if os.path.basename(h) == controller or controller in os.path.basename(h).split(","):
            with open(os.path.join(h + rel, name)) as f:
                return f.read().strip()
    raise KeyError(f"no {controller} hierarchy")


def processes_matching(*needles):
    """pids (not zombies, not us) whose cmdline, environ or cgroup contains a needle."""
    return arcatest.pids_mentioning(needles, ("cmdline", "cgroup", "environ"))


def describe(pids):
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            out.append(f"{pid}: {cmdline}")
        except OSError:
            pass
    return out


def kill_pids(pids, timeout=10):
    """SIGKILLs pids and waits (up to timeout) until none of them is alive."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def host_dirs_snapshot():
    snap = {p: os.path.exists(p) for p in HOST_DIRS + HOST_FILES}
    snap["shim sockets"] = set(os.listdir(SHIM_SOCKETS)) if snap[SHIM_SOCKETS] else set()
    return snap


def restore_host_dirs(before):
    """Removes the HOST_FILES/HOST_DIRS this session created (dirs only when empty) and
    the shim sockets it left (a killed shim does not remove its own): new ones that
    nothing listens on."""
    for p in HOST_FILES:
        if not before[p] and os.path.isfile(p):
            os.unlink(p)
    if os.path.isdir(SHIM_SOCKETS):
        for name in set(os.listdir(SHIM_SOCKETS)) - before["shim sockets"]:
            _remove_if_stale(os.path.join(SHIM_SOCKETS, name))
    left = []
    for d in HOST_DIRS:
        if before[d] or not os.path.isdir(d):
            continue
        try:
            os.rmdir(d)
        except OSError as e:
            left.append(f"{d}: {e.strerror}")
    return left


def _remove_if_stale(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)
    except OSError:
        pass
    finally:
        s.close()


def run_in_pty(argv, timeout=60, env=None):
    """Runs argv with a fresh pty as stdin/stdout/stderr (what `-t` needs); returns
    (exit status, output with \\r\\n folded to \\n)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                             start_new_session=True)
    finally:
        os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every slave fd closed
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif p.poll() is not None:
                break
        try:
            rc = p.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
    finally:
        os.close(master)
    return rc, b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")
