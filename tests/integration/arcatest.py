"""Helpers shared by the integration tests: runtime wrapper, bundles, probe.

Everything here works for any runc-compatible runtime binary.  Nothing in
here touches host state outside the session temp dir, except the cgroups
the runtime itself creates (and removes on delete).
"""
import copy
import json
import os
import secrets
import shutil
import signal
import subprocess
import time

BUSYBOX = "/bin/busybox"
APPLETS = [
    "sh", "ls", "cat", "ps", "echo", "sleep", "true", "false", "hostname", "id",
    "mount", "umount", "stat", "touch", "mkdir", "rm", "readlink", "env", "kill",
    "grep", "head", "wc", "test", "uname", "ip", "sysctl", "ulimit", "pwd",
    "dd", "chmod", "ln", "cp",
]
PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "user:x:1000:1000:user:/home/user:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\nuser:x:1000:\ntty:x:5:\nnogroup:x:65534:\n"

CMD_TIMEOUT = 60


def new_id():
    return "arcatest-" + secrets.token_hex(6)


class Runtime:
    """Wraps one runtime binary with a private --root state dir."""

    def __init__(self, name, binary, root):
        self.name = name
        self.binary = binary
        self.root = root
        self.created = []  # ids we created, deleted by cleanup()
        os.makedirs(root, exist_ok=True)

    def argv(self, *args, global_args=()):
        return [self.binary, "--root", self.root, *global_args, *args]

    def cmd(self, *args, global_args=(), timeout=CMD_TIMEOUT, **kw):
        """Runs a runtime verb and captures stdout/stderr (as text).

        Only for verbs that do not leave a process holding our pipes
        (i.e. NOT create / run -d; use create()/run_detached() for those).
        """
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(self.argv(*args, global_args=global_args),
                              capture_output=True, text=True, timeout=timeout, **kw)

    def track(self, cid):
        if cid not in self.created:
            self.created.append(cid)

    # -- verbs whose container inherits stdio: send stdio to files ---------
    def _spawn_to_files(self, verb_args, cid, bundle, stdio_prefix, pass_fds=(),
                        timeout=CMD_TIMEOUT, env=None):
        out_path = os.path.join(bundle.dir, f"{stdio_prefix}.stdout")
        err_path = os.path.join(bundle.dir, f"{stdio_prefix}.stderr")
        self.track(cid)
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            p = subprocess.run(self.argv(*verb_args), stdin=subprocess.DEVNULL,
                               stdout=out, stderr=err, timeout=timeout,
                               pass_fds=pass_fds, env=env)
        return Completed(p.returncode, out_path, err_path)

    def create(self, cid, bundle, *extra, pass_fds=(), env=None):
        bundle.write_config()
        return self._spawn_to_files(["create", "--bundle", bundle.dir, *extra, cid],
                                    cid, bundle, "create-" + secrets.token_hex(4), pass_fds=pass_fds,
                                    env=env)

    def run_detached(self, cid, bundle, *extra):
        bundle.write_config()
        return self._spawn_to_files(["run", "-d", "--bundle", bundle.dir, *extra, cid],
                                    cid, bundle, "run-" + secrets.token_hex(4))

    def run(self, cid, bundle, *extra, timeout=CMD_TIMEOUT, pass_fds=(), env=None,
            stdin=subprocess.DEVNULL, input=None):
        """Foreground `run`: returns CompletedProcess (text)."""
        bundle.write_config()
        self.track(cid)
        kw = {"input": input} if input is not None else {"stdin": stdin}
        try:
            return subprocess.run(self.argv("run", "--bundle", bundle.dir, *extra, cid),
                                  capture_output=True, text=True, timeout=timeout,
                                  pass_fds=pass_fds, env=env, **kw)
        except subprocess.TimeoutExpired:
            self.force_delete(cid)
            raise

    def start(self, cid):
        return self.cmd("start", cid)

    def state(self, cid):
        """Returns the parsed state JSON, or None if the verb failed."""
        p = self.cmd("state", cid)
        if p.returncode != 0:
            return None
        try:
            return json.loads(p.stdout)
        except ValueError:  # a broken runtime: treat as "no state"
            return None

    def status(self, cid):
        s = self.state(cid)
        return s["status"] if s else None

    def kill(self, cid, sig=None, *extra):
        args = ["kill", *extra, cid] + ([str(sig)] if sig is not None else [])
        return self.cmd(*args)

    def delete(self, cid, force=False):
        return self.cmd("delete", *(["--force"] if force else []), cid)

    def force_delete(self, cid):
        try:
            self.cmd("kill", cid, "KILL", timeout=20)
        except Exception:
            pass
        try:
            self.cmd("delete", "--force", cid, timeout=20)
        except Exception:
            pass

    def wait_status(self, cid, want, timeout=10.0):
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            st = self.status(cid)
            if st == want:
                return st
            time.sleep(0.05)
        return st

    def cleanup(self):
        for cid in list(self.created):
            if self.state(cid) is not None:
                self.force_delete(cid)
            reap_leaked(cid)
        self.created.clear()

    def cleanup_all(self):
        """Deletes every container in our private state dir."""
        try:
            p = self.cmd("list", "-q", timeout=20)
            ids = p.stdout.split() if p.returncode == 0 else []
        except Exception:
            ids = []
        for cid in set(ids) | set(self.created):
            if cid.startswith("arcatest-"):
                self.force_delete(cid)
                reap_leaked(cid)
        self.created.clear()


class Completed:
    """Result of create / run -d (stdio went to files)."""

    def __init__(self, returncode, out_path, err_path):
        self.returncode = returncode
        self.out_path = out_path
        self.err_path = err_path

    @property
    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    @property
    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()


class Bundle:
    def __init__(self, path, template_rootfs, base_config):
        self.dir = path
        self.rootfs = os.path.join(path, "rootfs")
        os.makedirs(path)
        shutil.copytree(template_rootfs, self.rootfs, symlinks=True)
        self.config = copy.deepcopy(base_config)

    def write_config(self):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(self.config, f, indent=2)

    # small conveniences for mutators
    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config.setdefault("linux", {})

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)

    def namespaces(self):
        return [n["type"] for n in self.linux.get("namespaces", [])]

    def add_namespace(self, ns, path=None):
        nss = [n for n in self.linux.get("namespaces", []) if n["type"] != ns]
        entry = {"type": ns}
        if path:
            entry["path"] = path
        nss.append(entry)
        self.linux["namespaces"] = nss

    def remove_namespace(self, ns):
        self.linux["namespaces"] = [n for n in self.linux.get("namespaces", [])
                                    if n["type"] != ns]


def build_rootfs(path, probe_bin):
    os.makedirs(path)
    for d in ["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "home/user",
              "var", "run", "mnt"]:
        os.makedirs(os.path.join(path, d), exist_ok=True)
    os.chmod(os.path.join(path, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(path, "bin", a))
    shutil.copy2(probe_bin, os.path.join(path, "probe"))
    os.chmod(os.path.join(path, "probe"), 0o755)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write(PASSWD)
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write(GROUP)
    with open(os.path.join(path, "etc", "hostname"), "w") as f:
        f.write("arcatest\n")


def default_config(spec_json):
    """Adjusts a `spec` default config for tests: no terminal, probe as args,
    no linux.resources (runtime's default cgroup placement)."""
    cfg = copy.deepcopy(spec_json)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["/probe"]
    cfg["root"] = {"path": "rootfs", "readonly": True}
    lin = cfg.setdefault("linux", {})
    lin.pop("resources", None)
    lin.pop("cgroupsPath", None)
    return cfg


def mounts_under(prefix):
    """Mount points at or below prefix in our mount namespace (deepest first)."""
    prefix = os.path.realpath(prefix)
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            mp = mp.encode().decode("unicode_escape")
            if mp == prefix or mp.startswith(prefix + "/"):
                res.append(mp)
    return sorted(res, key=len, reverse=True)


def safe_rmtree(path):
    """rm -rf that first unmounts anything below path; refuses if it can't."""
    if not os.path.exists(path):
        return True
    for mp in mounts_under(path):
        subprocess.run(["umount", "-l", mp], capture_output=True)
    left = mounts_under(path)
    if left:
        print(f"arcatest: NOT removing {path}: still mounted: {left}")
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


def parse_probe(stdout):
    """Parses the single JSON object printed by the probe."""
    text = stdout.strip()
    assert text, "probe printed nothing"
    # tolerate extra lines around the object (e.g. shell output before it)
    start = text.find("{")
    return json.loads(text[start:])


def check(report, op, path=None):
    """Returns the probe check result object for op (and path)."""
    for c in report["checks"]:
        if c["op"] == op and (path is None or c["path"] == path):
            return c
    raise KeyError(f"no check {op} {path} in report")


def host_ns():
    res = {}
    for n in os.listdir("/proc/self/ns"):
        try:
            res[n] = os.readlink(f"/proc/self/ns/{n}")
        except OSError:
            pass
    return res


def signal_num(name):
    return int(getattr(signal, name))


def leaked_pids(cid):
    """Processes that still belong to container cid although the runtime lost
    track of it: cid (unique, random) appears in their cgroup or environment."""
    return pids_mentioning([cid])


def pids_mentioning(needles, files=("cgroup", "environ")):
    """Live processes but ours whose /proc/PID/<files> contain one of the needles."""
    res = []
    wanted = [n.encode() for n in needles]
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        # A zombie still shows the cgroup it died in until its reaper (not us: the
        # create that parented it has exited) collects it; it holds nothing.
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
        except (OSError, IndexError):
            continue
        for f in files:
            try:
                with open(f"/proc/{d}/{f}", "rb") as fh:
                    text = fh.read()
            except OSError:
                continue
            if any(n in text for n in wanted):
                res.append(int(d))
                break
    return res


def reap_leaked(cid):
    """SIGKILLs leaked processes of cid and removes its leftover cgroup dirs.
    Returns the list of pids that were leaked."""
    if not cid.startswith("arcatest-"):
        return []
    pids = leaked_pids(cid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if pids:
        time.sleep(0.3)
    found = []
    for dirpath, dirnames, _ in os.walk("/sys/fs/cgroup"):
        if os.path.basename(dirpath) == cid:
            found.append(dirpath)
        if dirpath.count("/") >= 8:  # do not descend into deep unrelated trees
            dirnames[:] = []
    for d in sorted(found, key=len, reverse=True):
        for sub, _, _ in sorted(os.walk(d), key=lambda x: -len(x[0])):
            try:
                os.rmdir(sub)
            except OSError:
                pass
    return pids
