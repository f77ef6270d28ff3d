"""arca shell: real shells on the built-in root, tarballs and OCI/Docker images.

Every shell runs the real binary with a private --root and a private cache/scratch dir
(ARCA_CACHE_DIR), and each test checks that nothing is left behind: no state dir,
no scratch dir, no cgroup, no mount.
"""
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time

import pytest

import arcatest

pytestmark = pytest.mark.arca_only

CMD_TIMEOUT = 60


# --------------------------------------------------------------------------- helpers
class Shell:
    """Runs `arca shell` with its own state root and cache dir."""

    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.root = os.path.join(work, "state")
        self.cache = os.path.join(work, "cache")
        os.makedirs(self.root, exist_ok=True)

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCA_")}
        env["ARCA_CACHE_DIR"] = self.cache
        env.update(extra or {})
        return env

    def argv(self, *args, global_args=()):
        return [self.binary, "--root", self.root, *global_args, "shell", *args]

    def run(self, *args, global_args=(), env=None, timeout=CMD_TIMEOUT, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(self.argv(*args, global_args=global_args), capture_output=True,
                              text=True, timeout=timeout, env=self.env(env), **kw)

    def popen(self, *args, env=None, **kw):
        return subprocess.Popen(self.argv(*args), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(env), **kw)

    def arca(self, *args):
        return subprocess.run([self.binary, "--root", self.root, *args], capture_output=True,
                              text=True, timeout=CMD_TIMEOUT, env=self.env(),
                              stdin=subprocess.DEVNULL)

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        assert p.returncode == 0, f"rc={p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
        return p.stdout

    def shells(self):
        d = os.path.join(self.cache, "shells")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def states(self):
        return sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []

    def cache_entries(self):
        d = os.path.join(self.cache, "images", "sha256")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def temps(self):
        d = os.path.join(self.cache, "images", "tmp")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def assert_clean(self, names=()):
        """Nothing of any shell is left: state, scratch dirs, temp imports, cgroups, mounts."""
        assert self.shells() == [], f"scratch dirs left: {self.shells()}"
        assert self.states() == [], f"state dirs left: {self.states()}"
        assert self.temps() == [], f"temp imports left: {self.temps()}"
        assert arcatest.mounts_under(self.work) == []
        for name in names:
            assert cgroup_dirs(name) == [], f"cgroups of {name} left"
            assert arcatest.leaked_pids(name) == []


def cgroup_dirs(name):
    found = []
    for dirpath, dirnames, _ in os.walk("/sys/fs/cgroup"):
        if os.path.basename(dirpath) == name:
            found.append(dirpath)
        if dirpath.count("/") >= 8:
            dirnames[:] = []
    return found


def new_name():
    return arcatest.new_id()


def one_line_error(p):
    """A failed shell: non-zero exit and exactly one line on stderr, starting arca:."""
    assert p.returncode != 0, f"expected a failure\nstdout: {p.stdout}"
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arca: shell: "), p.stderr
    return lines[0]


@pytest.fixture(scope="session")
def builtin_root(runtime_info):
    path = os.path.join(os.path.dirname(runtime_info[1]), "share", "arca", "rootfs")
    assert os.path.isfile(os.path.join(path, "bin", "busybox")), \
        f"built-in root missing: {path} (the build makes it: scripts/build-rootfs.sh)"
    return path


@pytest.fixture
def sh(runtime_info, tmp_path):
    os.chmod(tmp_path, 0o755)
    s = Shell(runtime_info[1], str(tmp_path))
    yield s
    # Whatever a failing test left: containers (by state), then the files.
    for cid in s.states():
        s.arca("delete", "--force", cid)
        arcatest.reap_leaked(cid)
    arcatest.safe_rmtree(str(tmp_path))


# ---- archives built by the tests -------------------------------------------------
def tar_add(tf, name, data=b"", mode=0o644, kind=tarfile.REGTYPE, link="", uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = 1700000000
    info.linkname = link
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    else:
        tf.addfile(info)


def make_tar(build, compression=None):
    """build(tarfile) adds entries; returns the archive bytes, optionally compressed."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        build(tf)
    data = buf.getvalue()
    if compression == "gz":
        return gzip.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    if compression == "zst":
        return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True,
                              check=True).stdout
    return data


def add_tree(tf, root):
    """The built-in root (busybox and its links) into an archive."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            arc = os.path.normpath(os.path.join(rel, name))
            tf.add(full, arcname=arc, recursive=False)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_layout(path, images):
    """An OCI image layout: images = [(ref_name, [layer bytes], config dict)]."""
    blobs = os.path.join(path, "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data, media_type):
        write(os.path.join(blobs, sha(data)[7:]), data)
        return {"mediaType": media_type, "digest": sha(data), "size": len(data)}

    manifests = []
    for ref, layers, config in images:
        cfg = {"architecture": "amd64", "os": "linux", "config": config,
               "rootfs": {"type": "layers", "diff_ids": []}}
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": blob(json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json"),
            "layers": [blob(layer, "application/vnd.oci.image.layer.v1.tar+gzip")
                       for layer in layers],
        }
        d = blob(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
        if ref:
            d["annotations"] = {"org.opencontainers.image.ref.name": ref}
        manifests.append(d)
    write(os.path.join(path, "index.json"),
          json.dumps({"schemaVersion": 2, "manifests": manifests}).encode())
    write(os.path.join(path, "oci-layout"), b'{"imageLayoutVersion": "1.0.0"}')
    return path


def tar_dir(path, src):
    """An archive of a directory's contents (an OCI archive of a layout)."""
    with tarfile.open(path, "w") as tf:
        for name in sorted(os.listdir(src)):
            tf.add(os.path.join(src, name), arcname=name)
    return path


def docker_archive(path, images):
    """`docker save` format: images = [([tags], [layer bytes], config dict)]."""
    manifest = []

    def build(tf):
        for tags, layers, config in images:
            cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": config}).encode()
            cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
            tar_add(tf, cfg_name, cfg)
            names = []
            for layer in layers:
                lid = hashlib.sha256(layer + cfg).hexdigest()
                tar_add(tf, lid, kind=tarfile.DIRTYPE, mode=0o755)
                tar_add(tf, f"{lid}/layer.tar", layer)
                names.append(f"{lid}/layer.tar")
            manifest.append({"Config": cfg_name, "RepoTags": tags, "Layers": names})
        tar_add(tf, "manifest.json", json.dumps(manifest).encode())

    return write(path, make_tar(build))


@pytest.fixture(scope="session")
def base_layer(builtin_root):
    """The built-in root as a gzip'd layer (uncompressed tar for docker archives)."""
    return make_tar(lambda tf: add_tree(tf, builtin_root))


def upper_layer():
    """Whiteouts and an opaque directory over the lower layer's /data and /opq."""
    def build(tf):
        tar_add(tf, "data/.wh.gone")
        tar_add(tf, "opq", kind=tarfile.DIRTYPE, mode=0o755)
        tar_add(tf, "opq/.wh..wh..opq")
        tar_add(tf, "opq/upper1", b"up\n")
        tar_add(tf, "etc/added", b"added\n")
    return make_tar(build, "gz")


def middle_layer():
    def build(tf):
        tar_add(tf, "data", kind=tarfile.DIRTYPE, mode=0o755)
        tar_add(tf, "data/keep", b"keep\n")
        tar_add(tf, "data/gone", b"gone\n")
        tar_add(tf, "opq", kind=tarfile.DIRTYPE, mode=0o755)
        tar_add(tf, "opq/lower1", b"low\n")
        tar_add(tf, "opq/sub", kind=tarfile.DIRTYPE, mode=0o755)
        tar_add(tf, "opq/sub/lower2", b"low\n")
    return make_tar(build, "gz")


IMAGE_CONFIG = {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FROM_IMAGE=yes"],
                "WorkingDir": "/data", "Cmd": ["sh", "-c", "echo cmd-ran in $(pwd)"]}


# --------------------------------------------------------------------------- the seed's view
def test_ps_shows_the_command_as_pid1_and_nothing_of_the_host(sh):
    out = sh.ok("--", "sh", "-c", "ps -o pid,args; true")
    rows = [line.split(None, 1) for line in out.strip().splitlines()[1:]]
    pids = sorted(int(r[0]) for r in rows)
    assert pids[0] == 1 and rows[[int(r[0]) for r in rows].index(1)][1].startswith("sh -c")
    assert len(pids) == 2, out  # sh and ps: no host process
    assert "pytest" not in out and "python" not in out
    sh.assert_clean()


def test_hostname_default_is_generated_and_flag_sets_it(sh):
    out = sh.ok("--", "sh", "-c", "hostname; echo $HOSTNAME")
    name, env = out.split()
    assert re.fullmatch(r"shell-[0-9a-f]{6}", name) and env == name
    assert name != os.uname().nodename
    assert sh.ok("--hostname", "box1", "--", "hostname").strip() == "box1"
    assert sh.ok("--name", "arcatest-named", "--", "hostname").strip() == "arcatest-named"
    sh.assert_clean()


def test_environment_is_clean(sh, tmp_path):
    env_file = write(str(tmp_path / "env"), b"# comment\n\nFROM_FILE=1\nPASSED\n")
    out = sh.ok("-e", "FOO=bar", "-e", "PASSED", "--env-file", env_file, "--", "env",
                env={"SECRET_OF_HOST": "x", "PASSED": "from-host", "TERM": "vt100"})
    env = dict(line.split("=", 1) for line in out.strip().splitlines())
    assert set(env) == {"PATH", "TERM", "HOME", "HOSTNAME", "FOO", "PASSED", "FROM_FILE"}, env
    assert env["FOO"] == "bar" and env["PASSED"] == "from-host" and env["FROM_FILE"] == "1"
    assert env["HOME"] == "/root" and env["TERM"] == "vt100"
    sh.assert_clean()


def wait_running(sh, name, p):
    """Waits until the named shell's container runs; returns its state.json record."""
    deadline = time.time() + 30
    while time.time() < deadline and p.poll() is None:
        st = sh.arca("state", name)
        if st.returncode == 0 and json.loads(st.stdout).get("status") == "running":
            with open(os.path.join(sh.root, name, "state.json")) as f:
                return json.load(f)
        time.sleep(0.05)
    raise AssertionError(f"shell {name} did not start: {p.stderr.read() if p.poll() else ''}")


def cgroup_value(record, controller, name):
    with open(os.path.join(record["extra"]["cgroup"][controller], name)) as f:
        return f.read().strip()


def test_default_limits_and_flags_reach_the_cgroup(sh):
    # Read from the host: the container's own view of /sys/fs/cgroup is the rootfs layer's.
    for flags, want in [([], {"pids.max": "1024"}),
                        (["--memory", "64m", "--cpus", "0.5", "--pids-limit", "99"],
                         {"pids.max": "99", "memory.limit_in_bytes": str(64 << 20),
                          "cpu.cfs_quota_us": "50000"})]:
        name = new_name()
        p = sh.popen("--name", name, *flags, "--", "sleep", "60")
        try:
            record = wait_running(sh, name, p)
            for file, value in want.items():
                assert cgroup_value(record, file.split(".")[0], file) == value, file
            if not flags:  # default: half the host's memory
                with open("/proc/meminfo") as f:
                    total = int(f.readline().split()[1]) * 1024
                limit = int(cgroup_value(record, "memory", "memory.limit_in_bytes"))
                assert abs(limit - total // 2) < 1 << 20
        finally:
            sh.arca("kill", name, "KILL")
            p.wait(timeout=CMD_TIMEOUT)
        sh.assert_clean([name])
    # And the container sees its own cgroup, limit included.
    assert sh.ok("--pids-limit", "77", "--", "cat", "/sys/fs/cgroup/pids/pids.max") == "77\n"


def test_pids_limit_stops_a_fork_bomb_while_the_host_still_forks(sh):
    name = new_name()
    p = sh.popen("--name", name, "--pids-limit", "15", "--", "sh", "-c",
                 "bomb() { bomb | bomb & }; bomb 2>/dev/null; sleep 3; echo survived")
    try:
        record = wait_running(sh, name, p)
        peak = 0
        # While the bomb runs in the container, the host forks as usual.
        for _ in range(10):
            assert subprocess.run(["true"]).returncode == 0
            peak = max(peak, int(cgroup_value(record, "pids", "pids.current")))
            time.sleep(0.1)
        assert cgroup_value(record, "pids", "pids.max") == "15"
        assert 1 < peak <= 15
        out, err = p.communicate(timeout=CMD_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert out.split() == ["survived"]
    sh.assert_clean([name])


def test_exit_status_passes_through(sh):
    assert sh.run("--", "sh", "-c", "exit 7").returncode == 7
    sh.assert_clean()


def test_command_without_dashes_keeps_its_options(sh):
    assert sh.ok("echo", "-n", "a", "--", "b") == "a -- b"


# --------------------------------------------------------------------------- copy-on-write
def test_writes_go_to_a_throwaway_layer(sh, builtin_root):
    before = sorted(os.listdir(os.path.join(builtin_root, "etc")))
    assert sh.ok("--", "sh", "-c", "echo x > /etc/new && rm /bin/ls && cat /etc/new") == "x\n"
    assert sorted(os.listdir(os.path.join(builtin_root, "etc"))) == before
    assert os.path.lexists(os.path.join(builtin_root, "bin", "ls"))
    sh.assert_clean()


def test_two_shells_on_one_image_do_not_see_each_other(sh, tmp_path, base_layer):
    archive = write(str(tmp_path / "img.tar.gz"), gzip.compress(base_layer))
    a = new_name()
    p = sh.popen("--name", a, "--rootfs", archive, "--", "sh", "-c",
                 "echo a > /etc/mark; sleep 30")
    try:
        upper = os.path.join(sh.cache, "shells", a, "upper", "etc", "mark")
        deadline = time.time() + 30
        while not os.path.exists(upper) and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert os.path.exists(upper), p.stderr.read() if p.poll() is not None else "no mark"
        # The overlay exists only in the container's mount namespace, never in ours.
        assert arcatest.mounts_under(sh.work) == []
        out = sh.ok("--rootfs", archive, "--", "sh", "-c",
                    "test -e /etc/mark && echo seen || echo unseen; echo b > /etc/mark2")
        assert out.strip() == "unseen"
    finally:
        sh.arca("kill", a, "KILL")
        p.wait(timeout=CMD_TIMEOUT)
    base = os.path.join(sh.cache, "images", "sha256", sh.cache_entries()[0], "rootfs", "etc")
    assert not os.path.exists(os.path.join(base, "mark"))
    assert not os.path.exists(os.path.join(base, "mark2"))
    sh.assert_clean([a])


def test_read_only_root(sh):
    p = sh.run("--read-only", "--", "sh", "-c", "touch /x")
    assert p.returncode != 0 and "Read-only file system" in p.stderr
    sh.assert_clean()


def test_rw_writes_into_a_directory_root(sh, tmp_path, builtin_root):
    root = str(tmp_path / "root")
    shutil.copytree(builtin_root, root, symlinks=True)
    sh.ok("--rootfs", root, "--rw", "--", "sh", "-c", "echo kept > /kept")
    with open(os.path.join(root, "kept")) as f:
        assert f.read() == "kept\n"
    sh.ok("--rootfs", root, "--", "sh", "-c", "echo gone > /gone")
    assert not os.path.exists(os.path.join(root, "gone"))
    sh.assert_clean()


# --------------------------------------------------------------------------- flags
def test_volumes(sh, tmp_path):
    rw = tmp_path / "rw"
    ro = tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (ro / "in").write_text("hello\n")
    out = sh.ok("-v", f"{rw}:/mnt/rw", "-v", f"{ro}:/mnt/ro:ro", "--", "sh", "-c",
                "cat /mnt/ro/in; echo w > /mnt/rw/out; touch /mnt/ro/x 2>/dev/null || echo ro")
    assert out.split() == ["hello", "ro"]
    assert (rw / "out").read_text() == "w\n"
    assert not (ro / "x").exists()
    sh.assert_clean()


def test_workdir_user_and_caps(sh):
    out = sh.ok("-w", "/tmp", "-u", "1000:1000", "--", "sh", "-c", "pwd; id -u; id -g")
    assert out.split() == ["/tmp", "1000", "1000"]
    caps = sh.ok("--cap-drop", "NET_RAW", "--cap-add", "sys_admin", "--", "sh", "-c",
                 "grep CapEff /proc/self/status")
    eff = int(caps.split()[1], 16)
    assert not eff & (1 << 13) and eff & (1 << 21)  # CAP_NET_RAW dropped, CAP_SYS_ADMIN added
    sh.assert_clean()


def test_net_none_has_only_loopback_and_host_shares(sh):
    out = sh.ok("--", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1")
    assert out.split() == ["lo"]
    with open("/proc/net/dev") as f:
        host = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
    out = sh.ok("--net", "host", "--", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1")
    assert sorted(out.split()) == host
    sh.assert_clean()


def test_named_shell_is_visible_to_list_exec_and_kill(sh):
    name = new_name()
    p = sh.popen("--name", name, "--", "sleep", "60")
    try:
        wait_running(sh, name, p)
        assert name in sh.arca("list", "-q").stdout.split()
        ex = sh.arca("exec", name, "sh", "-c", "echo $HOSTNAME; tr \"\\\\0\" \" \" < /proc/1/cmdline")
        assert ex.returncode == 0, ex.stderr
        assert ex.stdout.split() == [name, "sleep", "60"]
        assert sh.arca("kill", name, "KILL").returncode == 0
        assert p.wait(timeout=CMD_TIMEOUT) == 137
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    sh.assert_clean([name])


# --------------------------------------------------------------------------- roots from anywhere
@pytest.mark.parametrize("compression", [None, "gz", "xz", "zst"])
def test_tarball_root(sh, tmp_path, builtin_root, compression):
    def build(tf):
        add_tree(tf, builtin_root)
        tar_add(tf, "marker", b"from the tarball\n")
        tar_add(tf, "owned", b"x", mode=0o4755, uid=1234, gid=567)
    archive = write(str(tmp_path / "root.tar"), make_tar(build, compression))  # no telling name
    out = sh.ok("--rootfs", archive, "--", "sh", "-c", "cat /marker; stat -c '%u %g %a' /owned")
    assert out.splitlines() == ["from the tarball", "1234 567 4755"]
    sh.assert_clean()


def test_oci_archive_layers_whiteouts_and_config(sh, tmp_path, base_layer):
    layout = oci_layout(str(tmp_path / "layout"), [
        ("latest", [gzip.compress(base_layer), middle_layer(), upper_layer()], IMAGE_CONFIG)])
    archive = tar_dir(str(tmp_path / "image.oci"), layout)
    out = sh.ok("--rootfs", archive, "--", "sh", "-c",
                "ls /data; echo --; ls -R /opq; echo --; cat /etc/added; echo $FROM_IMAGE; pwd")
    assert out.split("--\n") == ["keep\n", "/opq:\nupper1\n", "added\nyes\n/data\n"]
    # No command: the image's Cmd, in its WorkingDir.
    assert sh.ok("--rootfs", archive).strip() == "cmd-ran in /data"
    # The OCI layout directory itself works too, and shares nothing with the archive's key.
    assert sh.ok("--rootfs", layout, "--", "cat", "/data/keep") == "keep\n"
    sh.assert_clean()


def test_entrypoint_and_user_from_the_image(sh, tmp_path, base_layer):
    config = {"Entrypoint": ["/bin/echo", "ep"], "Cmd": ["default"], "User": "nobody"}
    layout = oci_layout(str(tmp_path / "layout"), [("", [gzip.compress(base_layer)], config)])
    assert sh.ok("--rootfs", layout).strip() == "ep default"
    assert sh.ok("--rootfs", layout, "given").strip() == "ep given"
    assert sh.ok("--rootfs", layout, "-u", "0", "id").strip() == "ep id"
    config2 = {"User": "nobody"}
    layout2 = oci_layout(str(tmp_path / "layout2"), [("", [gzip.compress(base_layer)], config2)])
    assert sh.ok("--rootfs", layout2, "--", "id", "-u").strip() == "65534"
    sh.assert_clean()


def test_docker_save_archive_with_two_images_needs_image(sh, tmp_path, base_layer):
    one = make_tar(lambda tf: tar_add(tf, "which", b"one\n"))
    two = make_tar(lambda tf: tar_add(tf, "which", b"two\n"))
    archive = docker_archive(str(tmp_path / "saved.tar"), [
        (["example/one:1.0"], [base_layer, one], {"Env": ["PATH=/bin"]}),
        (["example/two:latest"], [base_layer, two], {"Env": ["PATH=/bin"]}),
    ])
    line = one_line_error(sh.run("--rootfs", archive, "--", "cat", "/which"))
    assert "--image" in line and "example/one:1.0" in line and "example/two:latest" in line
    assert sh.ok("--rootfs", archive, "--image", "example/one:1.0", "--", "cat", "/which") == "one\n"
    assert sh.ok("--rootfs", archive, "--image", "example/two", "--", "cat", "/which") == "two\n"
    line = one_line_error(sh.run("--rootfs", archive, "--image", "nope", "--", "true"))
    assert '"nope"' in line
    sh.assert_clean()


def test_oci_multi_image_needs_image(sh, tmp_path, base_layer):
    one = make_tar(lambda tf: tar_add(tf, "which", b"one\n"), "gz")
    two = make_tar(lambda tf: tar_add(tf, "which", b"two\n"), "gz")
    layer = gzip.compress(base_layer)
    layout = oci_layout(str(tmp_path / "layout"), [("one", [layer, one], {}),
                                                   ("two", [layer, two], {})])
    archive = tar_dir(str(tmp_path / "multi.tar"), layout)
    assert "--image" in one_line_error(sh.run("--rootfs", archive, "--", "true"))
    assert sh.ok("--rootfs", archive, "--image", "two", "--", "cat", "/which") == "two\n"
    sh.assert_clean()


def test_cache_is_reused(sh, tmp_path, base_layer):
    archive = write(str(tmp_path / "img.tar.gz"), gzip.compress(base_layer))
    log1, log2 = str(tmp_path / "1.log"), str(tmp_path / "2.log")
    sh.ok("--rootfs", archive, "--", "true", global_args=("--log", log1, "--debug"))
    entries = sh.cache_entries()
    assert len(entries) == 1
    rootfs = os.path.join(sh.cache, "images", "sha256", entries[0], "rootfs")
    inode = os.stat(rootfs).st_ino
    sh.ok("--rootfs", archive, "--", "true", global_args=("--log", log2, "--debug"))
    assert "unpacking" in open(log1).read()
    second = open(log2).read()
    assert "unpacking" not in second and "from the cache" in second
    assert sh.cache_entries() == entries and os.stat(rootfs).st_ino == inode
    # The entry is content-addressed: a copy of the archive elsewhere reuses it too.
    copy = shutil.copy(archive, str(tmp_path / "copy.tgz"))
    sh.ok("--rootfs", copy, "--", "true")
    assert sh.cache_entries() == entries
    images = sh.arca("images").stdout
    assert "sha256:" + entries[0][:12] in images and "img.tar.gz" in images
    sh.assert_clean()


def test_progress_bar_only_on_a_terminal(sh, tmp_path, base_layer):
    archive = write(str(tmp_path / "img.tar.gz"), gzip.compress(base_layer))
    p = sh.run("--rootfs", archive, "--", "true")
    assert p.returncode == 0 and p.stderr == ""
    shutil.rmtree(os.path.join(sh.cache, "images"))
    master, slave = os.openpty()
    try:
        proc = subprocess.run(sh.argv("--rootfs", archive, "--", "true"), env=sh.env(),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=slave, timeout=CMD_TIMEOUT)
        os.close(slave)
        slave = -1
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: no writer left
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert proc.returncode == 0
    text = out.decode(errors="replace")
    assert "arca: unpacking img.tar.gz" in text and "% [" in text and "MB" in text, text
    assert text.endswith("\r\x1b[K")  # the line is cleared again
    sh.assert_clean()


def test_images_prune_keeps_what_a_running_shell_uses(sh, tmp_path, base_layer):
    a = write(str(tmp_path / "a.tar"), base_layer)
    b = write(str(tmp_path / "b.tar.gz"), gzip.compress(base_layer))
    sh.ok("--rootfs", b, "--", "true")
    name = new_name()
    p = sh.popen("--name", name, "--rootfs", a, "--", "sleep", "60")
    try:
        deadline = time.time() + 30
        while len(sh.cache_entries()) < 2 or not os.path.exists(
                os.path.join(sh.cache, "shells", name, "image")):
            assert time.time() < deadline and p.poll() is None
            time.sleep(0.05)
        out = sh.arca("images", "prune")
        assert out.returncode == 0 and "removed 1 image(s), kept 1 in use" in out.stdout
        assert sh.ok("--rootfs", a, "--", "true") == ""  # still there
    finally:
        sh.arca("kill", name, "KILL")
        p.wait(timeout=CMD_TIMEOUT)
    assert sh.arca("images", "prune").returncode == 0
    assert sh.cache_entries() == []
    sh.assert_clean([name])


# --------------------------------------------------------------------------- unsafe archives
def traversal_cases(outside):
    """(name, build) pairs; each tries to write into `outside` (an absolute host dir)."""
    up = "../" * 12 + outside.lstrip("/")
    return [
        ("dotdot", lambda tf: tar_add(tf, up + "/pwned", b"x")),
        ("absolute", lambda tf: tar_add(tf, outside + "/pwned", b"x")),
        ("hardlink-dotdot", lambda tf: tar_add(tf, "hl", kind=tarfile.LNKTYPE,
                                               link=up + "/target")),
        ("hardlink-absolute", lambda tf: tar_add(tf, "hl", kind=tarfile.LNKTYPE,
                                                 link=outside + "/target")),
    ]


CONTAINED = [
    # A symlink planted by an earlier entry, then a write through it.
    ("symlink-absolute-parent", lambda out: [("evil", tarfile.SYMTYPE, out, b""),
                                             ("evil/pwned", tarfile.REGTYPE, "", b"x")]),
    ("symlink-dotdot-parent", lambda out: [("evil", tarfile.SYMTYPE, "../" * 12 + out[1:], b""),
                                           ("evil/pwned", tarfile.REGTYPE, "", b"x")]),
    # A symlink to a host file, then a regular file of the same name.
    ("symlink-then-file", lambda out: [("f", tarfile.SYMTYPE, out + "/target", b""),
                                       ("f", tarfile.REGTYPE, "", b"overwritten")]),
    # A hardlink inside, then a file of the same name: the first file keeps its content.
    ("hardlink-then-file", lambda out: [("a", tarfile.REGTYPE, "", b"orig"),
                                        ("b", tarfile.LNKTYPE, "a", b""),
                                        ("b", tarfile.REGTYPE, "", b"new")]),
]


@pytest.fixture
def outside(tmp_path):
    d = tmp_path / "outside"
    d.mkdir()
    (d / "target").write_text("host file\n")
    return str(d)


def assert_outside_untouched(outside):
    assert sorted(os.listdir(outside)) == ["target"]
    assert open(os.path.join(outside, "target")).read() == "host file\n"


@pytest.mark.parametrize("case", range(4))
def test_path_traversal_archive_is_refused(sh, tmp_path, outside, builtin_root, case):
    name, trick = traversal_cases(outside)[case]

    def build(tf):
        tar_add(tf, "etc", kind=tarfile.DIRTYPE, mode=0o755)
        trick(tf)
    archive = write(str(tmp_path / f"{name}.tar"), make_tar(build))
    line = one_line_error(sh.run("--rootfs", archive, "--", "true"))
    assert ("\"..\"" in line) if "dotdot" in name else ("absolute name" in line), line
    assert_outside_untouched(outside)
    assert sh.cache_entries() == []
    sh.assert_clean()


@pytest.mark.parametrize("case", range(len(CONTAINED)))
def test_symlink_and_hardlink_tricks_stay_inside(sh, tmp_path, outside, builtin_root, case):
    name, entries = CONTAINED[case]

    def build(tf):
        add_tree(tf, builtin_root)
        for path, kind, link, data in entries(outside):
            tar_add(tf, path, data, kind=kind, link=link)
    archive = write(str(tmp_path / f"{name}.tar"), make_tar(build))
    out = sh.ok("--rootfs", archive, "--", "sh", "-c",
                f"cat {outside}/pwned 2>/dev/null; cat /f /a 2>/dev/null; echo")
    assert_outside_untouched(outside)
    if "parent" in name:
        assert out.strip() == "x"  # it landed inside the image, where the link points there
    elif name == "symlink-then-file":
        assert out.strip() == "overwritten"
    else:
        assert out.strip() == "orig"
    sh.assert_clean()


# --------------------------------------------------------------------------- bad input
def test_bad_input_fails_with_one_line_and_leaves_nothing(sh, tmp_path, builtin_root):
    corrupt = write(str(tmp_path / "corrupt.tar.gz"),
                    gzip.compress(make_tar(lambda tf: add_tree(tf, builtin_root)))[:30000])
    text = write(str(tmp_path / "notes.txt"), b"just some text, not an archive\n" * 100)
    empty = write(str(tmp_path / "empty.tar"), b"")
    comma = str(tmp_path / "a,b")
    shutil.copytree(builtin_root, comma, symlinks=True)
    cases = [
        (["--rootfs", str(tmp_path / "missing.tar")], "No such file or directory"),
        (["--rootfs", corrupt], "corrupt.tar.gz"),
        (["--rootfs", text], "unknown format"),
        (["--rootfs", empty], "unknown format"),
        (["--memory", "10X"], "--memory \"10X\""),
        (["--cpus", "lots"], "--cpus"),
        (["--pids-limit", "0"], "--pids-limit"),
        (["-v", "nocolon"], "--volume \"nocolon\""),
        (["-v", f"{tmp_path}/nope:/mnt"], "No such file or directory"),
        (["--net", "bridge"], "--net"),
        (["--cap-add", "CAP_BOGUS"], "unknown capability"),
        (["-u", "nosuchuser"], "nosuchuser"),
        (["--hostname", "bad name"], "--hostname"),
        (["--rw"], "--rw"),
        (["--rootfs", comma], "use --rw"),
        (["--", "/bin/no-such-command"], "no-such-command"),
    ]
    for args, expect in cases:
        p = sh.run(*args, *([] if "--" in args else ["--", "true"]))
        line = one_line_error(p)
        assert expect in line, (args, line)
        sh.assert_clean()
    assert sh.cache_entries() == []


# --------------------------------------------------------------------------- cleanup
def test_cleanup_after_sigkill_of_arca(sh):
    name = new_name()
    p = sh.popen("--name", name, "--", "sleep", "300")
    try:
        pid = wait_running(sh, name, p)["pid"]
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=CMD_TIMEOUT)
        # The container dies with its arca; the overlay was never in the host's mount table.
        deadline = time.time() + 10
        while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{pid}")
        assert arcatest.mounts_under(sh.work) == []
        assert sh.shells() == [name]  # left for the next shell to collect
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    sh.ok("--", "true")
    sh.assert_clean([name])


def test_a_scratch_dir_being_created_is_not_collected(sh):
    # Another shell has made its scratch dir but not locked it yet (no state-root file):
    # a starting shell must not take it for a dead one and delete it under its creator.
    name = new_name()
    young = os.path.join(sh.cache, "shells", name)
    os.makedirs(young)
    sh.ok("--", "true")
    assert sh.shells() == [name]
    os.rmdir(young)
    sh.assert_clean()


def test_relative_root_is_made_absolute(sh):
    # The scratch dir records the state root for whoever collects it later: a relative
    # --root must be recorded absolute (runc makes --root absolute too).
    name = new_name()
    p = subprocess.Popen([sh.binary, "--root", "state-rel", "shell", "--name", name, "--",
                          "sleep", "300"], cwd=sh.work, env=sh.env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        recorded = os.path.join(sh.cache, "shells", name, "state-root")
        deadline = time.time() + CMD_TIMEOUT
        while not os.path.exists(recorded) and time.time() < deadline:
            time.sleep(0.05)
        with open(recorded) as f:
            assert f.read() == os.path.join(sh.work, "state-rel")
    finally:
        p.kill()
        p.wait()
    sh.ok("--", "true")  # collects what the killed shell left
    os.rmdir(os.path.join(sh.work, "state-rel"))
    sh.assert_clean([name])
