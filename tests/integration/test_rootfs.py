"""root, mounts, /dev, masked/readonly paths, propagation, namespaces."""
import os
import shutil
import subprocess

import pytest

import arcatest
from arcatest import check, new_id


def rw_root(b):
    b.config["root"]["readonly"] = False


def mount_of(rep, mountpoint):
    """Last (top-most) mount entry at mountpoint."""
    found = [m for m in rep["mounts"] if m["mountpoint"] == mountpoint]
    assert found, f"no mount at {mountpoint}: {[m['mountpoint'] for m in rep['mounts']]}"
    return found[-1]


def opts(m):
    return set(m["options"].split(",")) | set(m["super_options"].split(","))


# --------------------------------------------------------------------------- root
def test_readonly_root(probe):
    rep = probe(None, "write", "/newfile", "write", "/tmp/x", "write", "/dev/null",
                "write", "/dev/shm/x")
    assert check(rep, "write", "/newfile")["result"] == "EROFS"
    assert check(rep, "write", "/tmp/x")["result"] == "EROFS"
    assert check(rep, "write", "/dev/null")["result"] == "ok"
    assert check(rep, "write", "/dev/shm/x")["result"] == "ok"
    assert "ro" in mount_of(rep, "/")["options"].split(",")


def test_writable_root(probe):
    rep = probe(rw_root, "write", "/newfile")
    assert check(rep, "write", "/newfile")["result"] == "ok"
    assert os.path.exists(os.path.join(rep["_bundle"], "rootfs", "newfile"))
    assert "rw" in mount_of(rep, "/")["options"].split(",")


def test_root_is_the_bundle_rootfs(probe):
    rep = probe(None, "ls", "/")
    entries = check(rep, "ls", "/")["entries"]
    assert "probe" in entries
    assert "work" not in entries and "usr" not in entries  # host dirs not visible


def test_no_pivot(run_container):
    p = run_container(None, ["/probe", "ls", "/"], extra=("--no-pivot",))
    assert p.returncode == 0, p.stderr
    rep = arcatest.parse_probe(p.stdout)
    assert "probe" in check(rep, "ls", "/")["entries"]
    assert "usr" not in check(rep, "ls", "/")["entries"]


# --------------------------------------------------------------------------- mounts
def test_tmpfs_with_options(probe):
    def mut(b):
        b.config["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                                   "options": ["nosuid", "nodev", "noexec", "size=1m",
                                               "mode=0750"]})
    rep = probe(mut, "stat", "/mnt/t", "write", "/mnt/t/f")
    m = mount_of(rep, "/mnt/t")
    assert m["fstype"] == "tmpfs"
    assert {"nosuid", "nodev", "noexec", "size=1024k", "mode=750"} <= opts(m)
    assert check(rep, "stat", "/mnt/t")["mode"] == "0750"
    assert check(rep, "write", "/mnt/t/f")["result"] == "ok"


def test_tmpfs_ro(probe):
    def mut(b):
        b.config["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                                   "options": ["ro"]})
    rep = probe(mut, "write", "/mnt/t/f")
    assert check(rep, "write", "/mnt/t/f")["result"] == "EROFS"


def _hostdir(b, name="hostdir", content=b"hello\n"):
    d = os.path.join(b.dir, name)
    os.makedirs(d)
    with open(os.path.join(d, "hello"), "wb") as f:
        f.write(content)
    return d


@pytest.mark.parametrize("opt", ["bind", "rbind"])
def test_bind_rw(probe, opt):
    holder = {}

    def mut(b):
        holder["d"] = _hostdir(b)
        b.config["mounts"].append({"destination": "/mnt/rw", "type": "bind",
                                   "source": holder["d"], "options": [opt, "rw"]})
    rep = probe(mut, "read", "/mnt/rw/hello", "write", "/mnt/rw/new")
    assert check(rep, "read", "/mnt/rw/hello")["data"] == "hello\n"
    assert check(rep, "write", "/mnt/rw/new")["result"] == "ok"
    assert os.path.exists(os.path.join(holder["d"], "new"))


def test_bind_ro(probe):
    holder = {}

    def mut(b):
        holder["d"] = _hostdir(b)
        b.config["mounts"].append({"destination": "/mnt/ro", "type": "bind",
                                   "source": holder["d"], "options": ["rbind", "ro"]})
    rep = probe(mut, "read", "/mnt/ro/hello", "write", "/mnt/ro/new")
    assert check(rep, "read", "/mnt/ro/hello")["data"] == "hello\n"
    assert check(rep, "write", "/mnt/ro/new")["result"] == "EROFS"
    assert not os.path.exists(os.path.join(holder["d"], "new"))
    assert "ro" in mount_of(rep, "/mnt/ro")["options"].split(",")
    # the host side stays writable
    assert "ro" not in _host_mount_opts(holder["d"])


def _host_mount_opts(path):
    best = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fs = line.split()
            if path == fs[4] or path.startswith(fs[4].rstrip("/") + "/"):
                if best is None or len(fs[4]) >= len(best[0]):
                    best = (fs[4], fs[5])
    return best[1].split(",") if best else []


def test_bind_noexec_nosuid_nodev(probe):
    def mut(b):
        d = _hostdir(b)
        shutil.copy2(arcatest.BUSYBOX, os.path.join(d, "busybox"))
        b.config["mounts"].append({"destination": "/mnt/x", "type": "bind", "source": d,
                                   "options": ["rbind", "noexec", "nosuid", "nodev"]})
        b.config["mounts"].append({"destination": "/mnt/y", "type": "bind", "source": d,
                                   "options": ["rbind"]})
    rep = probe(mut, "exec", "/mnt/x/busybox", "exec", "/mnt/y/busybox")
    assert check(rep, "exec", "/mnt/x/busybox")["result"] == "EACCES"
    assert check(rep, "exec", "/mnt/y/busybox")["result"] == "ok"
    assert {"noexec", "nosuid", "nodev"} <= set(mount_of(rep, "/mnt/x")["options"].split(","))


def test_bind_file_creates_destination(probe):
    holder = {}

    def mut(b):
        f = os.path.join(b.dir, "hostfile")
        with open(f, "w") as fh:
            fh.write("file-content")
        holder["b"] = b
        b.config["mounts"].append({"destination": "/etc/newdir/myfile", "type": "bind",
                                   "source": f, "options": ["bind", "ro"]})
    rep = probe(mut, "read", "/etc/newdir/myfile", "stat", "/etc/newdir/myfile")
    assert check(rep, "read", "/etc/newdir/myfile")["data"] == "file-content"
    assert check(rep, "stat", "/etc/newdir/myfile")["type"] == "file"
    assert os.path.isfile(os.path.join(holder["b"].rootfs, "etc", "newdir", "myfile"))


def test_missing_mountpoint_created_inside_rootfs(probe):
    def mut(b):
        b.config["mounts"].append({"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs"})
    rep = probe(mut, "write", "/a/b/c/f")
    assert check(rep, "write", "/a/b/c/f")["result"] == "ok"
    assert mount_of(rep, "/a/b/c")["fstype"] == "tmpfs"
    assert os.path.isdir(os.path.join(rep["_bundle"], "rootfs", "a", "b", "c"))


def test_mount_order_is_config_order(probe):
    def mut(b):
        b.config["mounts"].append({"destination": "/mnt/o", "type": "tmpfs", "source": "tmpfs",
                                   "options": ["size=1m"]})
        b.config["mounts"].append({"destination": "/mnt/o/inner", "type": "tmpfs",
                                   "source": "tmpfs", "options": ["size=2m"]})
    rep = probe(mut, "write", "/mnt/o/inner/f")
    assert "size=2048k" in opts(mount_of(rep, "/mnt/o/inner"))
    assert check(rep, "write", "/mnt/o/inner/f")["result"] == "ok"


@pytest.fixture
def host_target(session_dir):
    """An empty host directory that containers must never write into."""
    d = os.path.join(session_dir, "host-target-" + new_id())
    os.makedirs(d)
    yield d
    assert os.listdir(d) == [], f"container escaped into {d}: {os.listdir(d)}"
    arcatest.safe_rmtree(d)


@pytest.mark.parametrize("kind", ["absolute", "dotdot"])
@pytest.mark.parametrize("mtype", ["tmpfs", "bind"])
def test_symlink_mount_destination_stays_in_rootfs(probe, host_target, kind, mtype):
    holder = {}

    def mut(b):
        rw_root(b)
        if kind == "absolute":
            target = host_target
        else:
            target = "../" * 12 + host_target.lstrip("/")
        os.symlink(target, os.path.join(b.rootfs, "evil"))
        if mtype == "tmpfs":
            m = {"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}
        else:
            holder["src"] = _hostdir(b, "bindsrc")
            m = {"destination": "/evil", "type": "bind", "source": holder["src"],
                 "options": ["rbind", "rw"]}
        b.config["mounts"].append(m)
        b.set_args("/bin/sh", "-c", "echo x > /evil/marker && /probe")
    rep = probe(mut)
    # the mount landed inside the rootfs, at the symlink target resolved in it
    inside = os.path.join(rep["_bundle"], "rootfs", host_target.lstrip("/"))
    assert any(m["mountpoint"] in ("/evil", "/" + host_target.lstrip("/"))
               for m in rep["mounts"])
    assert os.path.isdir(inside)
    if mtype == "bind":
        assert os.path.exists(os.path.join(holder["src"], "marker"))
    # host_target fixture asserts the host dir stayed empty


def test_symlink_in_intermediate_component(probe, host_target):
    def mut(b):
        rw_root(b)
        os.symlink(host_target, os.path.join(b.rootfs, "evildir"))
        b.config["mounts"].append({"destination": "/evildir/sub", "type": "tmpfs",
                                   "source": "tmpfs"})
        b.set_args("/bin/sh", "-c", "echo x > /evildir/sub/marker && /probe")
    probe(mut)


# --------------------------------------------------------------------------- /dev
DEV_NODES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
             "urandom": (1, 9), "tty": (5, 0)}
DEV_LINKS = {"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
             "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}


def test_default_devices(probe):
    a = []
    for n in list(DEV_NODES) + list(DEV_LINKS) + ["shm", "pts", "mqueue"]:
        a += ["stat", "/dev/" + n]
    rep = probe(None, *a, "ls", "/dev", "write", "/dev/null", "read", "/dev/zero")
    for n, (ma, mi) in DEV_NODES.items():
        c = check(rep, "stat", "/dev/" + n)
        assert c["result"] == "ok", n
        assert c["type"] == "chr", n
        assert (c["major"], c["minor"]) == (ma, mi), n
        assert c["mode"] == "0666", n
    for n, target in DEV_LINKS.items():
        c = check(rep, "stat", "/dev/" + n)
        assert c["type"] == "link", n
        assert c["target"] == target, n
    for n in ("shm", "pts", "mqueue"):
        assert check(rep, "stat", "/dev/" + n)["type"] == "dir"
    entries = set(check(rep, "ls", "/dev")["entries"])
    allowed = set(DEV_NODES) | set(DEV_LINKS) | {"shm", "pts", "mqueue", "console", "core"}
    assert set(DEV_NODES) | set(DEV_LINKS) <= entries
    assert entries <= allowed, f"unexpected /dev entries: {entries - allowed}"
    assert check(rep, "write", "/dev/null")["result"] == "ok"
    assert check(rep, "read", "/dev/zero")["result"] == "ok"
    assert mount_of(rep, "/dev")["fstype"] == "tmpfs"
    assert mount_of(rep, "/dev/pts")["fstype"] == "devpts"
    assert mount_of(rep, "/dev/shm")["fstype"] == "tmpfs"


def test_linux_devices_entry(probe):
    def mut(b):
        b.linux["devices"] = [{"path": "/dev/arcatest0", "type": "c", "major": 1, "minor": 3,
                               "fileMode": 0o640, "uid": 0, "gid": 5},
                              {"path": "/dev/sub/arcatest1", "type": "c", "major": 1,
                               "minor": 5, "fileMode": 0o600, "uid": 1000, "gid": 1000}]
    rep = probe(mut, "stat", "/dev/arcatest0", "stat", "/dev/sub/arcatest1",
                "read", "/dev/sub/arcatest1")
    c = check(rep, "stat", "/dev/arcatest0")
    assert (c["type"], c["major"], c["minor"], c["mode"], c["uid"], c["gid"]) == \
        ("chr", 1, 3, "0640", 0, 5)
    c = check(rep, "stat", "/dev/sub/arcatest1")
    assert (c["type"], c["major"], c["minor"], c["mode"], c["uid"], c["gid"]) == \
        ("chr", 1, 5, "0600", 1000, 1000)


def test_dev_pts_and_shm_options(probe):
    rep = probe()
    pts = mount_of(rep, "/dev/pts")
    assert {"nosuid", "noexec"} <= opts(pts)
    assert "ptmxmode=666" in opts(pts)
    shm = mount_of(rep, "/dev/shm")
    assert {"nosuid", "noexec", "nodev"} <= opts(shm)


# --------------------------------------------------------------------------- masked / readonly
def test_masked_paths(probe):
    def mut(b):
        with open(os.path.join(b.rootfs, "etc", "secret"), "w") as f:
            f.write("TOPSECRET")
        os.makedirs(os.path.join(b.rootfs, "secretdir"))
        with open(os.path.join(b.rootfs, "secretdir", "f"), "w") as f:
            f.write("x")
        b.linux["maskedPaths"] = b.linux.get("maskedPaths", []) + [
            "/etc/secret", "/secretdir", "/does/not/exist"]
    rep = probe(mut, "read", "/etc/secret", "ls", "/secretdir", "read", "/proc/keys",
                "write", "/secretdir/new")
    c = check(rep, "read", "/etc/secret")
    assert c["result"] == "ok" and c["data"] == ""
    assert check(rep, "ls", "/secretdir")["entries"] == []
    assert check(rep, "read", "/proc/keys")["data"] == ""  # default masked file
    assert check(rep, "write", "/secretdir/new")["result"] == "EROFS"


def test_readonly_paths(probe):
    def mut(b):
        rw_root(b)
        os.makedirs(os.path.join(b.rootfs, "data"))
        b.linux["readonlyPaths"] = b.linux.get("readonlyPaths", []) + ["/data", "/nope/missing"]
    rep = probe(mut, "write", "/data/x", "write", "/other", "write",
                "/proc/sys/kernel/hostname", "write", "/proc/sysrq-trigger")
    assert check(rep, "write", "/data/x")["result"] == "EROFS"
    assert check(rep, "write", "/other")["result"] == "ok"
    assert check(rep, "write", "/proc/sys/kernel/hostname")["result"] == "EROFS"
    if os.path.exists("/proc/sysrq-trigger"):  # absent without CONFIG_MAGIC_SYSRQ
        assert check(rep, "write", "/proc/sysrq-trigger")["result"] == "EROFS"


def test_sys_is_readonly(probe):
    rep = probe(None, "write", "/sys/kernel/uevent_helper")
    assert check(rep, "write", "/sys/kernel/uevent_helper")["result"] == "EROFS"


# --------------------------------------------------------------------------- propagation
def _host_root_propagation():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fs = line.split()
            if fs[4] == "/":
                return fs[6:fs.index("-")]
    return []


def _root_tags(rep):
    root = mount_of(rep, "/")
    return [o for o in root["optional"] if o.startswith(("shared:", "master:"))]


def test_rootfs_propagation_private(probe):
    rep = probe(lambda b: b.linux.update(rootfsPropagation="private"))
    assert _root_tags(rep) == []


def test_rootfs_propagation_slave(probe):
    rep = probe(lambda b: b.linux.update(rootfsPropagation="slave"))
    tags = _root_tags(rep)
    assert not any(t.startswith("shared:") for t in tags)
    # a slave needs a shared master on the host side
    if any(t.startswith("shared:") for t in _host_root_propagation()):
        assert any(t.startswith("master:") for t in tags)


@pytest.mark.arca_only
def test_rootfs_propagation_shared(probe):
    # runc 1.1.5 leaves the new root without a peer group when the host "/"
    # is private (as on this machine): it only applies the flag before pivot.
    rep = probe(lambda b: b.linux.update(rootfsPropagation="shared"))
    assert any(t.startswith("shared:") for t in _root_tags(rep))


def test_container_mounts_do_not_leak_to_host(probe):
    def mut(b):
        b.config["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"})
    rep = probe(mut)
    assert not arcatest.mounts_under(rep["_bundle"])


# --------------------------------------------------------------------------- namespaces
def test_namespaces_private(probe):
    rep = probe()
    host = arcatest.host_ns()
    assert rep["pid"] == 1
    for ns in ("pid", "uts", "ipc", "net", "mnt"):
        assert rep["ns"][ns] != host[ns], ns
    assert rep["ns"]["user"] == host["user"]


def test_without_network_namespace_shares_host(probe):
    rep = probe(lambda b: b.remove_namespace("network"))
    assert rep["ns"]["net"] == arcatest.host_ns()["net"]


def test_without_pid_namespace(probe):
    rep = probe(lambda b: b.remove_namespace("pid"))
    assert rep["pid"] != 1
    assert rep["ns"]["pid"] == arcatest.host_ns()["pid"]


def test_loopback_up(probe):
    rep = probe(None, "read", "/sys/class/net/lo/flags", "read", "/proc/net/dev",
                "ls", "/sys/class/net")
    assert int(check(rep, "read", "/sys/class/net/lo/flags")["data"], 16) & 1 == 1
    assert check(rep, "ls", "/sys/class/net")["entries"] == ["lo"]
    devs = [l.split(":")[0].strip() for l in check(rep, "read", "/proc/net/dev")["data"]
            .splitlines()[2:]]
    assert devs == ["lo"]


def test_cgroup_namespace(probe):
    rep = probe(lambda b: b.add_namespace("cgroup"))
    assert rep["ns"]["cgroup"] != arcatest.host_ns()["cgroup"]
    for line in rep["cgroup"].splitlines():
        assert line.split(":", 2)[2] == "/", line


def _userns(b, host_id=1000, size=1):
    b.add_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": host_id, "size": size}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": host_id, "size": size}]
    if size < 6:  # gid 5 (tty) is not mapped: devpts cannot use gid=5
        for m in b.config["mounts"]:
            if m["type"] == "devpts":
                m["options"] = [o for o in m["options"] if not o.startswith("gid=")]


def test_user_namespace_mapping(probe):
    rep = probe(_userns)
    assert rep["uid"] == [0, 0, 0]
    assert rep["gid"] == [0, 0, 0]
    assert rep["ns"]["user"] != arcatest.host_ns()["user"]
    assert rep["uid_map"].split() == ["0", "1000", "1"]
    assert rep["gid_map"].split() == ["0", "1000", "1"]


def test_user_namespace_writes_as_host_uid(probe):
    holder = {}

    def mut(b):
        _userns(b, 100000, 65536)
        d = _hostdir(b, "shared")
        os.chown(d, 100000, 100000)
        holder["d"] = d
        # the rootfs is owned by host root (unmapped): pre-create the mountpoint
        os.makedirs(os.path.join(b.rootfs, "mnt", "s"))
        b.config["mounts"].append({"destination": "/mnt/s", "type": "bind", "source": d,
                                   "options": ["rbind", "rw"]})
    rep = probe(mut, "write", "/mnt/s/new", "stat", "/probe")
    assert check(rep, "write", "/mnt/s/new")["result"] == "ok"
    st = os.stat(os.path.join(holder["d"], "new"))
    assert (st.st_uid, st.st_gid) == (100000, 100000)
    assert rep["uid_map"].split() == ["0", "100000", "65536"]
    # host root is unmapped inside: shows as the overflow uid
    assert check(rep, "stat", "/probe")["uid"] == 65534


def test_join_network_namespace_by_path(probe, session_dir):
    path = os.path.join(session_dir, "netns-" + new_id())
    open(path, "w").close()
    try:
        subprocess.run(["unshare", "--net=" + path, "true"], check=True)
        ino = os.stat(path).st_ino
        rep = probe(lambda b: b.add_namespace("network", path))
        assert rep["ns"]["net"] == f"net:[{ino}]"
    finally:
        subprocess.run(["umount", path], capture_output=True)
        os.remove(path)


def test_join_missing_namespace_path_fails(run_container, session_dir):
    path = os.path.join(session_dir, "no-such-ns-" + new_id())
    p = run_container(lambda b: b.add_namespace("network", path), ["true"])
    assert p.returncode != 0


def test_time_namespace_offsets(probe, runtime_features):
    if "time" not in runtime_features.get("linux", {}).get("namespaces", []):
        pytest.skip("runtime does not report time namespace support in `features`")

    def mut(b):
        b.add_namespace("time")
        b.linux["timeOffsets"] = {"monotonic": {"secs": 86400, "nanosecs": 0},
                                  "boottime": {"secs": 172800, "nanosecs": 500}}
    rep = probe(mut, "read", "/proc/self/timens_offsets", "read", "/proc/uptime")
    assert rep["ns"]["time"] != arcatest.host_ns()["time"]
    lines = check(rep, "read", "/proc/self/timens_offsets")["data"].split("\n")
    offs = {l.split()[0]: l.split()[1:] for l in lines if l.strip()}
    assert offs["monotonic"] == ["86400", "0"]
    assert offs["boottime"] == ["172800", "500"]
    with open("/proc/uptime") as f:
        host_up = float(f.read().split()[0])
    up = float(check(rep, "read", "/proc/uptime")["data"].split()[0])
    assert up >= host_up + 172800 - 5
