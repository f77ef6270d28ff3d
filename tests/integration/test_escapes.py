"""Attacks on real containers, one per class of runtime escape (docs/security.md).

Every test here attacks through the runtime: a hostile rootfs, a hostile config value,
or a process in a (sibling) container. Each was checked to fail against a build with
the protection removed (docs/security.md says how). Classes already covered elsewhere
are referenced there rather than repeated here.
"""
import errno
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

import arcatest
from arcatest import check, new_id

# runc 1.1.5 (Debian 12) predates the fixes for some of these classes: with RUNTIME=runc
# those tests are expected to fail, and say why.
RUNC = "config._arca_runtime[0] == 'runc'"


def runc_fails(why):
    return pytest.mark.xfail(RUNC, reason=f"runc 1.1.5: {why}", strict=False)


# --------------------------------------------------------------------------- helpers
HELPER_C = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *name(int e) { return e ? strerrorname_np(e) : "ok"; }

static const char *try_open(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) return name(errno);
  close(fd);
  return "ok";
}

/* The first process in our pid namespace that is not us: the victim. */
static int other_pid(void) {
  for (int tries = 0; tries < 30000; tries++) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid > 0 && pid != getpid()) found = pid;
    }
    if (d) closedir(d);
    if (found) return found;
    usleep(1000);
  }
  return 0;
}

static void wait_file(const char *path) {
  for (int i = 0; i < 600 && access(path, F_OK) != 0; i++) usleep(100000);
}

int main(int argc, char **argv) {
  char path[64];
  if (argc >= 3 && strcmp(argv[1], "peek") == 0) {
    /* peek GO: what a process of a sibling container can open of the other one. */
    int pid = other_pid();
    wait_file(argv[2]);
    printf("{\"pid\": %d", pid);
    const char *what[][2] = {{"exe", "O_PATH"}, {"root", "O_PATH"}, {"cwd", "O_PATH"},
                             {"environ", "O_RDONLY"}};
    for (int i = 0; i < 4; i++) {
      snprintf(path, sizeof path, "/proc/%d/%s", pid, what[i][0]);
      int flags = strcmp(what[i][1], "O_PATH") == 0 ? O_PATH : O_RDONLY;
      printf(", \"%s\": \"%s\"", what[i][0], try_open(path, flags));
    }
    printf("}\n");
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "grab-exe") == 0) {
    /* grab-exe GO [FIFO]: CVE-2019-5736. Take an O_PATH handle on the other process's
       exe, try to open it for writing; once GO exists (the runtime is gone), reopen the
       handle for writing through /proc/self/fd and write to it. */
    int pid = other_pid(), fd = -1;
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    for (int i = 0; i < 30000 && fd < 0; i++) {
      fd = open(path, O_PATH);
      if (fd < 0) usleep(1000);
    }
    if (fd < 0) {
      printf("{\"stage\": \"grabbed\", \"o_path\": \"%s\"}\n", name(errno));
      return 1;
    }
    const char *wr = try_open(path, O_WRONLY);
    struct stat st;
    fstat(fd, &st);
    int fifo = argc > 3 ? open(argv[3], O_RDONLY | O_NONBLOCK) : -1;
    printf("{\"stage\": \"grabbed\", \"o_path\": \"ok\", \"open_wronly\": \"%s\", "
           "\"dev\": [%u, %u], \"ino\": %llu}\n", wr, major(st.st_dev), minor(st.st_dev),
           (unsigned long long)st.st_ino);
    fflush(stdout);
    wait_file(argv[2]);
    if (fifo >= 0) close(fifo);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int w = open(path, O_WRONLY);
    const char *reopen = w < 0 ? name(errno) : "ok", *wrote = "not tried";
    if (w >= 0) wrote = pwrite(w, "PWNED", 5, 0) == 5 ? "ok" : name(errno);
    printf("{\"stage\": \"done\", \"reopen\": \"%s\", \"write\": \"%s\"}\n", reopen, wrote);
    return 0;
  }
  fprintf(stderr, "usage: helper peek GO | grab-exe GO [FIFO]\n");
  return 2;
}
"""


@pytest.fixture(scope="session")
def helper_bin(session_dir):
    src = os.path.join(session_dir, "escape-helper.c")
    out = os.path.join(session_dir, "escape-helper")
    with open(src, "w") as f:
        f.write(HELPER_C)
    p = subprocess.run(["cc", "-O2", "-static", "-o", out, src], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"cannot build the escape helper: {p.stderr}")
    return out


@pytest.fixture(params=["default", "reexec"])
def victim_rt(session_dir, runtime_info, request, monkeypatch):
    """The runtime under test, run from a private copy: the CVE-2019-5736 tests may
    overwrite the binary they attack, and must never damage the real one. arca is
    attacked both ways it protects itself: moved in place onto a read-only view of its
    binary (the default), and re-executed from that view (where the move is refused)."""
    name, binary = runtime_info
    if request.param == "reexec":
        if name != "arca":
            pytest.skip("arca's fallback")
        monkeypatch.setenv("ARCA_EXE_PROTECTION", "reexec")
    d = os.path.join(session_dir, "victim-" + new_id())
    os.makedirs(d)
    copy = os.path.join(d, os.path.basename(binary))
    shutil.copy2(binary, copy)
    rt = arcatest.Runtime(name, copy, os.path.join(d, "state"))
    yield rt
    rt.cleanup_all()
    shutil.rmtree(d, ignore_errors=True)


def add_libraries_of(binary, rootfs):
    """A dynamically linked runtime (runc) needs its loader and libraries to run inside
    the container; a static one (arca) needs nothing."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        for word in line.split():
            if word.startswith("/") and os.path.exists(word):
                dest = os.path.join(rootfs, word.lstrip("/"))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copy2(word, dest)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def shared_dir(session_dir):
    d = os.path.join(session_dir, "shared-" + new_id())
    os.makedirs(d)
    return d


def with_shared(d):
    def mut(b):
        b.config["mounts"].append({"destination": "/shared", "type": "bind", "source": d,
                                   "options": ["rbind", "rw"]})
    return mut


def add_caps(*names):
    def mut(b):
        caps = b.process["capabilities"]
        for key in ("bounding", "effective", "permitted"):
            caps[key] = sorted(set(caps.get(key, [])) | set(names))
    return mut


def with_helper(helper_bin, *args):
    def mut(b):
        shutil.copy2(helper_bin, os.path.join(b.rootfs, "helper"))
        b.set_args("/helper", *args)
    return mut


def chain(*muts):
    def mut(b):
        for m in muts:
            m(b)
    return mut


def read_lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f.read().splitlines() if l.startswith("{")]


def wait_for(pred, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_attacker(rt, make_bundle, mut):
    """Creates and starts a container; returns (id, bundle, stdout path)."""
    b = make_bundle(mut)
    cid = new_id()
    c = rt.create(cid, b)
    assert c.returncode == 0, c.stderr
    assert rt.start(cid).returncode == 0
    return cid, b, c.out_path


def stop_victim(rt, cid):
    """Kills the init of a container that shares the attacker's pid namespace and waits
    until it is gone (a zombie holds no exe). It is deleted only after the attack:
    `delete` signals every process in the init's pid namespace, the attacker's too."""
    st = rt.state(cid)
    if st and st.get("pid") and st["status"] != "stopped":
        try:
            os.kill(st["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_for(lambda: rt.status(cid) in ("stopped", None), what=f"{cid} to stop")


def join_pid_ns_of(rt, cid):
    pid = rt.state(cid)["pid"]

    def mut(b):
        b.add_namespace("pid", f"/proc/{pid}/ns/pid")
    return mut


# --------------------------------------------------------------------------- CVE-2019-5736
def attacker_result(rt, cid, out_path, stage):
    def found():
        lines = [l for l in read_lines(out_path) if l.get("stage") == stage]
        return lines[0] if lines else None
    try:
        return wait_for(found, what=f"the attacker's {stage!r} line")
    except AssertionError as e:
        with open(out_path) as f:
            raise AssertionError(f"{e}; attacker {rt.status(cid)}, wrote {f.read()!r}") from None


def assert_binary_safe(victim_rt, before, grabbed, done):
    assert sha256(victim_rt.binary) == before, f"the runtime binary was overwritten: {done}"
    # Whatever the handle is (arca: a read-only view of the binary, in place or
    # re-executed; runc 1.1: a read-only bind of the same file), once no runtime process
    # runs it any more it cannot be written. (An open for writing while the runtime still
    # runs fails with ETXTBSY for any runtime, protected or not: not asserted.)
    assert done["reopen"] != "ok" or done["write"] != "ok", done


def test_exe_of_a_runtime_process_cannot_be_written_with_ptrace(victim_rt, make_bundle,
                                                                session_dir, helper_bin):
    """A container granted CAP_SYS_PTRACE (no user namespace) shares its pid namespace
    with a second container whose init is still the runtime (created, not started). Non-
    dumpable does not stop CAP_SYS_PTRACE in the host user namespace: it gets a handle on
    /proc/<init>/exe, and once no runtime process is left, reopens it for writing."""
    rt = victim_rt
    before = sha256(rt.binary)
    shared = shared_dir(session_dir)
    go = os.path.join(shared, "go")
    attacker, _, out = start_attacker(rt, make_bundle, chain(
        with_shared(shared), add_caps("CAP_SYS_PTRACE"),
        with_helper(helper_bin, "grab-exe", "/shared/go")))
    victim = new_id()
    vb = make_bundle(join_pid_ns_of(rt, attacker))
    assert rt.create(victim, vb).returncode == 0
    grabbed = attacker_result(rt, attacker, out, "grabbed")
    assert grabbed["o_path"] == "ok", grabbed  # CAP_SYS_PTRACE gets past non-dumpable
    stop_victim(rt, victim)
    open(go, "w").close()
    done = attacker_result(rt, attacker, out, "done")
    assert_binary_safe(rt, before, grabbed, done)


def test_exe_of_a_self_exec_cannot_be_written(victim_rt, make_bundle, session_dir, helper_bin):
    """The original CVE-2019-5736: the container's entry point is /proc/self/exe, which the
    runtime's execve resolves to its own binary. That process is dumpable again after
    execve, so a sibling needs no capability to grab /proc/<pid>/exe. The victim blocks
    on a log fifo until the attacker holds the handle."""
    rt = victim_rt
    before = sha256(rt.binary)
    shared = shared_dir(session_dir)
    go = os.path.join(shared, "go")
    os.mkfifo(os.path.join(shared, "fifo"))
    attacker, _, out = start_attacker(rt, make_bundle, chain(
        with_shared(shared), with_helper(helper_bin, "grab-exe", "/shared/go", "/shared/fifo")))
    victim = new_id()

    def victim_mut(b):
        with_shared(shared)(b)
        join_pid_ns_of(rt, attacker)(b)
        add_libraries_of(rt.binary, b.rootfs)
        b.set_args("/proc/self/exe", "--log", "/shared/fifo", "state", "nonexistent")
    vb = make_bundle(victim_mut)
    r = rt.run_detached(victim, vb)
    assert r.returncode == 0, r.stderr
    grabbed = attacker_result(rt, attacker, out, "grabbed")
    assert grabbed["o_path"] == "ok", grabbed
    stop_victim(rt, victim)
    open(go, "w").close()
    done = attacker_result(rt, attacker, out, "done")
    assert_binary_safe(rt, before, grabbed, done)


# --------------------------------------------------------------------------- non-dumpable
def test_runtime_is_not_dumpable_inside_the_container(rt, make_bundle, session_dir,
                                                      helper_bin):
    """While the init is still the runtime (created, in every namespace of its container),
    a sibling in the same pid namespace without CAP_SYS_PTRACE can open none of its
    /proc/<pid>/{exe,root,cwd,environ}: before pivot_root, root is the host's."""
    shared = shared_dir(session_dir)
    attacker, _, out = start_attacker(rt, make_bundle, chain(
        with_shared(shared), with_helper(helper_bin, "peek", "/shared/go")))
    victim = new_id()
    assert rt.create(victim, make_bundle(join_pid_ns_of(rt, attacker))).returncode == 0
    open(os.path.join(shared, "go"), "w").close()
    wait_for(lambda: rt.status(attacker) == "stopped", what="the attacker to finish")
    seen = read_lines(out)[0]
    assert seen["pid"] > 1
    for what in ("exe", "root", "cwd", "environ"):
        assert seen[what] == "EACCES", seen


# --------------------------------------------------------------------------- hostile rootfs
class Watched:
    """A host file or directory the runtime must leave alone: inotify reports any open
    (not O_PATH), write, chmod/chown or creation in it, and its stat must not change."""

    IN_MODIFY, IN_ATTRIB, IN_OPEN, IN_CREATE = 0x2, 0x4, 0x20, 0x100

    def __init__(self, path, kind):
        import ctypes
        self.path = path
        if kind == "dir":
            os.makedirs(path)
        else:
            with open(path, "w") as f:
                f.write("ORIGINAL")
            os.chmod(path, 0o600)
        self.before = self.snapshot()
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0
        mask = self.IN_MODIFY | self.IN_ATTRIB | self.IN_OPEN | self.IN_CREATE
        assert self.libc.inotify_add_watch(self.fd, path.encode(), mask) >= 0

    def snapshot(self):
        st = os.lstat(self.path)
        content = sorted(os.listdir(self.path)) if os.path.isdir(self.path) else open(
            self.path).read()
        return (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, content)

    def events(self):
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        out, i = [], 0
        while i + 16 <= len(data):
            wd, mask, cookie, length = __import__("struct").unpack_from("iIII", data, i)
            out.append(hex(mask))
            i += 16 + length
        return out

    def assert_untouched(self):
        assert self.events() == [], f"the runtime touched {self.path}"
        assert self.snapshot() == self.before, f"{self.path} changed"
        assert arcatest.mounts_under(self.path) == [], f"something is mounted on {self.path}"

    def close(self):
        os.close(self.fd)


@pytest.fixture
def watched(session_dir):
    made = []

    def make(kind):
        w = Watched(os.path.join(session_dir, f"host-{kind}-" + new_id()), kind)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
        if os.path.isdir(w.path):
            arcatest.safe_rmtree(w.path)
        elif os.path.exists(w.path):
            os.unlink(w.path)


def plant_symlink(b, entry, target):
    p = os.path.join(b.rootfs, entry)
    if os.path.isdir(p) and not os.path.islink(p):
        shutil.rmtree(p)
    elif os.path.lexists(p):
        os.unlink(p)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(target, p)


def without_dev_tmpfs(b):
    """The rootfs's own /dev is used: what it holds is the image's choice (here a real
    null device, which masking needs, unless the test plants its own)."""
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/dev"]
    null = os.path.join(b.rootfs, "dev", "null")
    if not os.path.lexists(null):
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))


# (entry in the rootfs, kind of host target, keep the config's /dev tmpfs)
HOSTILE_ENTRIES = [
    ("proc", "dir", True), ("sys", "dir", True), ("dev", "dir", True),
    ("dev/pts", "dir", False), ("dev/shm", "dir", False), ("dev/mqueue", "dir", False),
    ("dev/null", "file", False), ("dev/console", "file", False), ("dev/ptmx", "file", False),
]


@pytest.mark.parametrize("entry,kind,dev_tmpfs", [
    pytest.param(*e, id=e[0].replace("/", "-"),
                 marks=[runc_fails("creates files in a host /dev it was symlinked to")]
                 if e[0] == "dev" else [])
    for e in HOSTILE_ENTRIES])
def test_rootfs_entries_symlinked_to_the_host(run_container, watched, entry, kind, dev_tmpfs):
    """CVE-2021-30465, CVE-2025-31133/52565 class: an image whose /proc, /sys, /dev or a
    node under /dev is a symlink to a host path. Whether the container starts or not,
    the runtime creates, opens, chmods, chowns and mounts nothing there."""
    target = watched(kind)

    def planted(b):
        if not dev_tmpfs:
            without_dev_tmpfs(b)
        plant_symlink(b, entry, target.path)
    p = run_container(planted, ["/probe"], timeout=60)
    target.assert_untouched()
    if p.returncode == 0 and kind == "dir":
        # It started: what the config mounted there landed inside the rootfs.
        inside = os.path.join(p.bundle.rootfs, target.path.lstrip("/"))
        assert os.path.isdir(inside)


@runc_fails("CVE-2025-31133 (fixed in 1.2.8)")
def test_dev_null_symlinked_to_a_procfs_file_is_not_used_as_mask(run_container):
    """CVE-2025-31133: masks bind /dev/null over a path. An image whose /dev/null is a
    symlink to /proc/sys/kernel/core_pattern would get that file bound over the masked
    path instead; the runtime must check it is the null device."""
    def mut(b):
        plant_symlink(b, "dev/null", "/proc/sys/kernel/core_pattern")
        without_dev_tmpfs(b)
        b.linux["maskedPaths"] = ["/proc/cmdline"]
    p = run_container(mut, ["/probe", "read", "/proc/cmdline"])
    if p.returncode == 0:
        rep = arcatest.parse_probe(p.stdout)
        assert check(rep, "read", "/proc/cmdline")["data"] == "", "core_pattern bound as mask"
    else:
        assert "null device" in p.stderr or "/dev/null" in p.stderr, p.stderr


@pytest.mark.parametrize("kind", ["relative", "dotdot-chain", "magic-link"])
def test_mount_destination_symlinks(probe, session_dir, kind):
    """CVE-2021-30465, CVE-2024-45310: symlinked mount destinations. The absolute and
    "../" variants are in test_rootfs.py (test_symlink_mount_destination_stays_in_rootfs,
    test_symlink_in_intermediate_component); here a relative link climbing out, a chain
    of links climbing with "..", and a link through /proc/self/root (a magic link, which
    resolution in the root refuses to follow). Each points at a missing directory under
    a host directory: the mount point must be made inside the rootfs, never on the host."""
    host = os.path.join(session_dir, "host-" + new_id())
    os.makedirs(host)
    made = host.lstrip("/") + "/made"

    def mut(b):
        b.config["root"]["readonly"] = False
        os.makedirs(os.path.join(b.rootfs, "a/b"))
        link = os.path.join(b.rootfs, "a/b/evil")
        if kind == "relative":
            os.symlink("../../" + "../" * 12 + made, link)
        elif kind == "dotdot-chain":
            os.symlink("../..", os.path.join(b.rootfs, "a/b/up"))  # the rootfs itself
            os.symlink("up/" + "../" * 12 + made, link)
        else:
            os.symlink("/proc/self/root/" + made, link)
        b.config["mounts"].append({"destination": "/a/b/evil", "type": "tmpfs",
                                   "source": "tmpfs"})
        b.set_args("/bin/sh", "-c", "echo x > /a/b/evil/marker; exec /probe")
    try:
        if kind == "magic-link":
            rep = run_probe_any(probe, mut)
        else:
            rep = probe(mut)
            assert os.path.isdir(os.path.join(rep["_bundle"], "rootfs", made))
        assert os.listdir(host) == [], f"the runtime created {os.listdir(host)} in {host}"
    finally:
        arcatest.safe_rmtree(host)


def run_probe_any(probe, mut):
    try:
        return probe(mut)
    except AssertionError:
        return None  # refusing to start is fine too; the host dir is what matters


# --------------------------------------------------------------------------- fake /proc
def fake_proc_tree(root):
    """A directory that looks like procfs to a path-based writer."""
    for rel in ("sys/kernel/shmmax", "thread-self/attr/exec", "thread-self/attr/apparmor/exec",
                "self/attr/exec", "sys/net/ipv4/ip_forward"):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write("FAKE")
    return root


def files_of(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            with open(os.path.join(d, f)) as fh:
                out[os.path.relpath(os.path.join(d, f), root)] = fh.read()
    return out


FAKE_PROCS = ["tmpfs-over-proc", "host-dir-over-proc", "procfs-subdir-over-proc",
              "host-dir-over-proc-sys-kernel", "proc-symlinked-in-rootfs"]


@pytest.mark.parametrize("fake", FAKE_PROCS)
@pytest.mark.parametrize("write", ["sysctl", "apparmor"])
def test_fake_proc_is_refused_before_writing(run_container, session_dir, fake, write):
    """CVE-2019-16884, CVE-2023-27561, CVE-2025-52881: a volume over /proc (or over a
    directory in it) would take the sysctl or the AppArmor exec label instead of procfs.
    The runtime refuses before writing; the fake files keep their content. CVE-2023-28642:
    an image whose /proc is a symlink (the procfs lands at its target) is refused too."""
    host = fake_proc_tree(os.path.join(session_dir, "fakeproc-" + new_id()))
    before = files_of(host)

    def mut(b):
        if write == "sysctl":
            b.linux["sysctl"] = {"kernel.shmmax": "12345"}
        else:
            b.process["apparmorProfile"] = "arca-test-profile"
        if fake == "proc-symlinked-in-rootfs":
            os.makedirs(os.path.join(b.rootfs, "realproc"))
            plant_symlink(b, "proc", "/realproc")
            return
        m = {"tmpfs-over-proc": {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"},
             "host-dir-over-proc": {"destination": "/proc", "type": "bind", "source": host,
                                    "options": ["rbind"]},
             "procfs-subdir-over-proc": {"destination": "/proc", "type": "bind",
                                         "source": "/proc/sys", "options": ["rbind"]},
             "host-dir-over-proc-sys-kernel": {
                 "destination": "/proc/sys/kernel", "type": "bind",
                 "source": os.path.join(host, "sys/kernel"), "options": ["rbind"]},
             }[fake]
        b.config["mounts"].append(m)
    try:
        p = run_container(mut, ["true"])
        assert p.returncode != 0
        assert files_of(host) == before, "the runtime wrote into a fake /proc"
    finally:
        arcatest.safe_rmtree(host)


# --------------------------------------------------------------------------- fds and cwd
def run_with_dir_fd(rt, make_bundle, host, cwd, extra=()):
    """`run` with an inherited (not close-on-exec) directory fd of `host` as fd 3."""
    b = make_bundle(lambda b: (b.config["process"].update(cwd=cwd),
                               b.set_args("/bin/sh", "-c", "echo x > marker; mkdir sub; /probe")))
    cid = new_id()
    rt.track(cid)
    return subprocess.run(["/bin/sh", "-c", 'exec "$@" 3<"$HOSTDIR"', "sh",
                           *rt.argv("run", "--bundle", b.dir, *extra, cid)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, HOSTDIR=host))


@pytest.mark.parametrize("preserve,cwd", [
    (False, "/proc/self/fd/3"), (False, "/proc/self/fd/3/sub"), (True, "/proc/self/fd/3"),
    pytest.param(True, "/proc/self/fd/3/sub",
                 marks=runc_fails("makes the missing cwd through the preserved fd first"))])
def test_cwd_through_an_inherited_fd_cannot_reach_the_host(rt, make_bundle, session_dir, cwd,
                                                            preserve):
    """CVE-2024-21626: a host directory fd open in the runtime (leaked, or preserved on
    purpose with --preserve-fds) plus cwd /proc/self/fd/N started the container in a
    host directory, from where ".." walks the host. The fd never reaches the container
    unless preserved (test_process.py::test_extra_fds_not_leaked_without_preserve), and
    the cwd must never resolve through it."""
    host = os.path.join(session_dir, "host-cwd-" + new_id())
    os.makedirs(host)
    try:
        p = run_with_dir_fd(rt, make_bundle, host, cwd,
                            ("--preserve-fds", "1") if preserve else ())
        assert os.listdir(host) == [], f"the container ran in {host}: {p.stdout} {p.stderr}"
        assert p.returncode != 0
    finally:
        arcatest.safe_rmtree(host)


# --------------------------------------------------------------------------- masked/readonly
def shell_then_probe(run_container, mut):
    """Runs the shell attack `mut` sets up, which ends by exec'ing the probe."""
    p = run_container(mut)
    assert p.returncode == 0, p.stderr
    return arcatest.parse_probe(p.stdout)


def test_masked_paths_cannot_be_unmounted_from_inside(run_container):
    """maskedPaths hide files and directories (test_rootfs.py::test_masked_paths); a
    container without CAP_SYS_ADMIN cannot unmount, remount or move the masks away
    (here a directory of the image and the default mask of /proc/keys)."""
    def mut(b):
        os.makedirs(os.path.join(b.rootfs, "hidden"))
        with open(os.path.join(b.rootfs, "hidden", "key"), "w") as f:
            f.write("TOPSECRET")
        b.linux["maskedPaths"] = b.linux.get("maskedPaths", []) + ["/hidden"]
        b.set_args("/bin/sh", "-c",
                   "umount /hidden; umount -l /hidden; umount /proc/keys; "
                   "mount -o remount,rw /hidden; mount --move /hidden /mnt; "
                   "exec /probe ls /hidden read /hidden/key read /proc/keys")
    rep = shell_then_probe(run_container, mut)
    assert check(rep, "ls", "/hidden")["entries"] == []
    assert check(rep, "read", "/hidden/key")["result"] == "ENOENT"
    assert check(rep, "read", "/proc/keys")["data"] == ""


def test_readonly_paths_cannot_be_remounted_writable(run_container):
    """readonlyPaths reject writes with EROFS (test_rootfs.py::test_readonly_paths), and
    stay read-only after remount attempts from inside."""
    def mut(b):
        b.config["root"]["readonly"] = False
        os.makedirs(os.path.join(b.rootfs, "data"))
        b.linux["readonlyPaths"] = b.linux.get("readonlyPaths", []) + ["/data"]
        b.set_args("/bin/sh", "-c",
                   "mount -o remount,rw /data; mount -o remount,rw /proc/sys; umount /data; "
                   "exec /probe write /data/x write /proc/sys/kernel/hostname")
    rep = shell_then_probe(run_container, mut)
    assert check(rep, "write", "/data/x")["result"] == "EROFS"
    assert check(rep, "write", "/proc/sys/kernel/hostname")["result"] == "EROFS"


# --------------------------------------------------------------------------- capabilities
@pytest.mark.parametrize("section", ["without-inheritable-and-ambient", "no-capabilities"])
def test_callers_inheritable_and_ambient_caps_do_not_leak(rt, make_bundle, section):
    """CVE-2022-29162 (runc), CVE-2022-27650 (crun): a runtime started with inheritable
    (and ambient) capabilities passed them on to containers that did not ask for any,
    so a non-root process could gain them through a file with inheritable file caps.
    The container gets exactly what its config says (test_process.py checks all five
    sets when they are configured, and that a non-root user gets exactly the ambient
    set)."""
    def mut(b):
        b.process["user"] = {"uid": 1000, "gid": 1000}
        if section == "no-capabilities":
            b.process.pop("capabilities", None)
        else:
            caps = b.process["capabilities"]
            caps.pop("inheritable", None)
            caps.pop("ambient", None)
    b = make_bundle(mut)
    cid = new_id()
    rt.track(cid)
    p = subprocess.run(["setpriv", "--inh-caps", "+net_raw,+sys_admin",
                        "--ambient-caps", "+net_raw,+sys_admin", "--",
                        *rt.argv("run", "--bundle", b.dir, cid)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    caps = arcatest.parse_probe(p.stdout)["caps"]
    for k in ("CapInh", "CapAmb", "CapPrm", "CapEff"):
        assert int(caps[k], 16) == 0, (k, caps)


# --------------------------------------------------------------------------- paths from argv
def test_pid_file_symlink_is_replaced_not_followed(rt, make_bundle, watched):
    """--pid-file is written to a temp file beside it and renamed into place: a symlink
    planted at that name is replaced, the file it pointed to is not written."""
    target = watched("file")
    b = make_bundle(lambda b: b.set_args("sleep", "10"))
    pidfile = os.path.join(b.dir, "pid")
    os.symlink(target.path, pidfile)
    cid = new_id()
    p = rt.create(cid, b, "--pid-file", pidfile)
    assert p.returncode == 0, p.stderr
    assert not os.path.islink(pidfile)
    assert open(pidfile).read().strip() == str(rt.state(cid)["pid"])
    target.assert_untouched()


@runc_fails("follows a symlink planted at <root>/<id>")
def test_state_dir_planted_as_symlink_is_refused(rt, make_bundle, watched):
    """--root: the state dir <root>/<id> is created with mkdir, so an existing entry of
    that name (here a symlink to a host directory) is "already exists", never followed.
    Ids with "/" or ".." are refused (test_lifecycle.py::test_bad_id_refused)."""
    target = watched("dir")
    cid = new_id()
    os.symlink(target.path, os.path.join(rt.root, cid))
    try:
        p = rt.create(cid, make_bundle(lambda b: b.set_args("sleep", "10")))
        assert p.returncode != 0
        target.assert_untouched()
    finally:
        os.unlink(os.path.join(rt.root, cid))


# --------------------------------------------------------------------------- LSM
def without_lsm(run_container, request, runtime, enabled_marker, mutate):
    """Runs `true` with `mutate` (skipped on a host that runs the LSM) and returns
    stderr, lower-cased, of the failed run."""
    if os.path.exists(enabled_marker):
        pytest.skip(f"the LSM is enabled on this host ({enabled_marker})")
    p = run_container(mutate, ["true"], runtime=request.getfixturevalue(runtime))
    assert p.returncode != 0
    return p.stderr.lower()


@pytest.mark.parametrize("runtime", ["rt", "ref"])
def test_apparmor_profile_without_apparmor_fails_as_with_runc(run_container, request, runtime):
    """runc 1.1 writes "exec <profile>" whether or not AppArmor is enabled; without it
    the kernel refuses (EINVAL) and the container does not start. Same here."""
    err = without_lsm(run_container, request, runtime, "/sys/kernel/security/apparmor",
                      lambda b: b.process.update(apparmorProfile="arca-test-profile"))
    assert "apparmor" in err and "invalid argument" in err, err


@pytest.mark.parametrize("runtime", ["rt", "ref"])
def test_selinux_label_without_selinux_is_refused_as_with_runc(run_container, request, runtime):
    err = without_lsm(run_container, request, runtime, "/sys/fs/selinux/enforce",
                      lambda b: b.process.update(selinuxLabel="system_u:system_r:container_t:s0"))
    assert "selinux" in err and "disabled" in err, err


LABEL = "system_u:object_r:container_file_t:s0:c1,c2"


@pytest.mark.parametrize("runtime", ["rt", "ref"])
@pytest.mark.parametrize("mounts,starts", [
    ("default", False),          # /dev is a tmpfs: it gets context=, which it rejects
    ("proc-mqueue-bind", True),  # never labelled (mqueue falls back), so it starts
    ("masked-dir", False),       # the tmpfs over a masked directory is labelled too
])
def test_mount_label_without_selinux_as_with_runc(run_container, request, runtime, mounts,
                                                  starts):
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("SELinux is enabled on this host")

    def mut(b):
        b.linux["mountLabel"] = LABEL
        if mounts != "default":
            b.config["mounts"] = [m for m in b.config["mounts"]
                                  if m["destination"] in ("/proc", "/dev/mqueue")]
            b.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": "/tmp",
                                       "options": ["rbind", "ro"]})
            b.linux["readonlyPaths"] = []
            b.linux["maskedPaths"] = ["/proc/acpi"] if mounts == "masked-dir" else []
    p = run_container(mut, ["true"], runtime=request.getfixturevalue(runtime))
    assert (p.returncode == 0) == starts, p.stderr
    if not starts:
        assert "invalid argument" in p.stderr.lower(), p.stderr


@pytest.mark.parametrize("runtime", ["rt", "ref"])
@pytest.mark.parametrize("flag,value,marker,words", [
    ("--apparmor", "arca-test-profile", "/sys/kernel/security/apparmor",
     ("apparmor", "invalid argument")),
    ("--process-label", "system_u:system_r:container_t:s0", "/sys/fs/selinux/enforce",
     ("selinux", "disabled")),
], ids=["apparmor", "selinux"])
def test_exec_labels_without_the_lsm_as_with_runc(make_bundle, request, runtime, flag, value,
                                                  marker, words):
    """`exec --apparmor` / `--process-label` on a host without the LSM fail as runc 1.1.5's
    do: the profile write is refused by the kernel, the SELinux label up front."""
    if os.path.exists(marker):
        pytest.skip(f"the LSM is enabled on this host ({marker})")
    rt = request.getfixturevalue(runtime)
    cid = new_id()
    assert rt.run_detached(cid, make_bundle(lambda b: b.set_args("sleep", "30"))).returncode == 0
    p = rt.cmd("exec", flag, value, cid, "/bin/true")
    rt.force_delete(cid)
    assert p.returncode != 0
    err = p.stderr.lower()
    assert all(w in err for w in words), p.stderr
