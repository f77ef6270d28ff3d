"""Podman and containerd (through ctr) behind one small interface, so every scenario runs
the same way through both engines.

Options every engine understands (keyword arguments of run/start/run_tty):
  env={K: V}  user="uid:gid"  memory=bytes  pids=N  read_only=True
  mounts=[(host_src, container_dst)] (read-only bind mounts)  cgroup_parent="/abs/path"
"""
import json
import os
import secrets
import signal
import subprocess
import time

import hostcheck
from images import PATH_ENV

IMAGE = "localhost/arca-busybox:latest"
TIMEOUT = 90
CLEANUP_TIMEOUT = 30
# Long-running container process that stops on TERM (PID 1 ignores signals it does not
# handle, so a bare `sleep` would make every stop wait for the engine's kill timeout).
LONG = ["sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.2; done"]


def write_wrapper(path, real, log, extra=()):
    """A shell script standing in for the runtime: runs the real one, then logs the exit
    status and argv (one line per call: status TAB argv)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    extra_args = "".join(f" '{a}'" for a in extra)
    # Not exec: the wrapper waits to log the exit status. Nothing depends on the runtime
    # being the engine's direct child (a created init reparents to the engine's subreaper).
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                f"'{real}'{extra_args} \"$@\"\n"
                "rc=$?\n"
                f"printf '%s\\t%s\\n' \"$rc\" \"$*\" >> '{log}'\n"
                "exit $rc\n")
    os.chmod(path, 0o755)
    return path


class Engine:
    """What both engines share: container names, tracking, waiting."""

    name = "engine"

    def __init__(self, ns, tmp, token, cgroup_base):
        self.ns = ns  # hostcheck.MountNamespace
        self.tmp = tmp
        self.token = token
        self.cgroup_base = cgroup_base  # every container's cgroup is below it
        self.made = []
        self.problems = []  # reported by the session at its end

    def new_name(self):
        n = f"{self.token}-{secrets.token_hex(4)}"
        self.made.append(n)
        return n

    def _run(self, argv, input=None, timeout=TIMEOUT, env=None):
        return subprocess.run(self.ns.prefix + argv, input=input, capture_output=True,
                              text=True, timeout=timeout, env=env,
                              stdin=None if input is not None else subprocess.DEVNULL)

    def check(self, argv, **kw):
        p = self._run(argv, **kw)
        assert p.returncode == 0, f"{argv} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
        return p

    def wait_status(self, name, want, timeout=20):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.status(name)
            if got == want:
                return got
            time.sleep(0.1)
        raise AssertionError(f"{self.name} {name}: status {got!r}, want {want!r}")

    def cleanup(self):
        """Force-removes the containers made since the last cleanup. A removal that hangs
        goes on the session's problem list (the session fails at its end, after removing
        what it can) instead of erroring here and hiding what the session finds."""
        for n in self.made:
            try:
                self.force_remove(n)
            except subprocess.TimeoutExpired as e:
                self.problems.append(f"{self.name}: removing {n} hung: {' '.join(e.cmd)}")
        self.made.clear()


class Podman(Engine):
    name = "podman"

    def __init__(self, ns, tmp, token, runtime, cgroup_base):
        super().__init__(ns, tmp, token, cgroup_base)
        self.runtime = runtime
        self.cgroup_parent = f"{cgroup_base}/podman"
        d = lambda *p: os.path.join(tmp, "podman", *p)  # noqa: E731
        for sub in ("tmp", "imgtmp", "cni", "storage", "run"):
            os.makedirs(d(sub), exist_ok=True)
        rt_name = os.path.basename(runtime)
        with open(d("containers.conf"), "w") as f:
            f.write(f"""[containers]
netns = "none"
log_driver = "k8s-file"
# Podman as root asks for nofile/nproc limits far above this machine's hard limits.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{d('events.log')}"
tmp_dir = "{d('tmp')}"
static_dir = "{d('storage', 'libpod')}"
volume_path = "{d('storage', 'volumes')}"
image_copy_tmp_dir = "{d('imgtmp')}"
lock_type = "file"
runtime_supports_json = ["crun", "runc", "{rt_name}"]

[network]
network_backend = "cni"
network_config_dir = "{d('cni')}"
""")
        with open(d("storage.conf"), "w") as f:
            f.write(f"""[storage]
driver = "overlay"
graphroot = "{d('storage')}"
runroot = "{d('run')}"
""")
        with open(d("registries.conf"), "w") as f:
            f.write("unqualified-search-registries = []\n")
        self.env = dict(os.environ, CONTAINERS_CONF=d("containers.conf"),
                        CONTAINERS_STORAGE_CONF=d("storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=d("registries.conf"), TMPDIR=d("tmp"))

    def argv(self, *args):
        return ["podman", "--runtime", self.runtime, *args]

    def cmd(self, *args, **kw):
        return self._run(self.argv(*args), env=self.env, **kw)

    def import_rootfs(self, tar_bytes):
        p = subprocess.run(self.ns.prefix + self.argv(
            "import", "-q", "--change", "ENV=" + PATH_ENV, "--change", "CMD=/bin/sh", "-",
            IMAGE), input=tar_bytes, capture_output=True, env=self.env, timeout=TIMEOUT)
        assert p.returncode == 0, p.stderr.decode(errors="replace")

    def _opts(self, name, env=None, user=None, memory=None, pids=None, read_only=False,
              mounts=(), cgroup_parent=None):
        a = ["--name", name, "--network", "none",
             "--cgroup-parent", cgroup_parent or self.cgroup_parent]
        for k, v in (env or {}).items():
            a += ["--env", f"{k}={v}"]
        if user:
            a += ["--user", user]
        if memory:
            a += ["--memory", f"{memory}b"]
        if pids:
            a += ["--pids-limit", str(pids)]
        if read_only:
            a.append("--read-only")
        for src, dst in mounts:
            a += ["--volume", f"{src}:{dst}:ro"]
        return a

    def run(self, cmd, input=None, **opts):
        extra = ["-i"] if input is not None else []
        return self.cmd("run", "--rm", *extra, *self._opts(self.new_name(), **opts), IMAGE,
                        *cmd, input=input)

    def run_popen(self, cmd, **opts):
        name = self.new_name()
        argv = self.ns.prefix + self.argv("run", "--rm", *self._opts(name, **opts), IMAGE, *cmd)
        return name, subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=self.env)

    def run_tty(self, cmd, **opts):
        return hostcheck.run_in_pty(self.ns.prefix + self.argv(
            "run", "--rm", "-t", *self._opts(self.new_name(), **opts), IMAGE, *cmd),
            env=self.env)

    def start(self, cmd=LONG, **opts):
        name = self.new_name()
        p = self.cmd("run", "-d", *self._opts(name, **opts), IMAGE, *cmd)
        assert p.returncode == 0, f"podman run -d: {p.stderr}"
        return name

    def exec(self, name, cmd, user=None):
        return self.cmd("exec", *(["--user", user] if user else []), name, *cmd)

    def exec_tty(self, name, cmd):
        return hostcheck.run_in_pty(self.ns.prefix + self.argv("exec", "-t", name, *cmd),
                                    env=self.env)

    def pause(self, name):
        return self.cmd("pause", name)

    def resume(self, name):
        return self.cmd("unpause", name)

    def kill(self, name, sig):
        return self.cmd("kill", "--signal", sig, name)

    def stop(self, name):
        return self.cmd("stop", "--time", "5", name)

    def remove(self, name):
        return self.cmd("rm", name)

    def force_remove(self, name):
        self.cmd("rm", "--force", "--time", "0", "--ignore", name, timeout=CLEANUP_TIMEOUT)

    def _inspect(self, name, fmt):
        p = self.cmd("inspect", "--format", fmt, name)
        return p.stdout.strip() if p.returncode == 0 else None

    def status(self, name):
        s = self._inspect(name, "{{.State.Status}}")
        return {"exited": "stopped"}.get(s, s)

    def pid(self, name):
        return int(self._inspect(name, "{{.State.Pid}}"))

    def runtime_id(self, name):
        return self._inspect(name, "{{.Id}}")

    def ps(self, name):
        p = self.check(self.argv("top", name, "hpid"), env=self.env)
        # "?" for a process that exited while podman looked (the shell's sleeps)
        return [int(x) for x in p.stdout.split()[1:] if x.isdigit()]

    def ids(self):
        return self.check(self.argv("ps", "-a", "-q", "--no-trunc"), env=self.env).stdout.split()

    def memory_usage(self, name):
        """Podman reads the container's cgroup where it expects it (parent/libpod-ID)."""
        p = self.check(self.argv("stats", "--no-stream", "--format", "json", name), env=self.env)
        return _bytes(json.loads(p.stdout)[0]["mem_usage"].split("/")[0])

    def shutdown(self):
        self.made = self.ids()
        self.cleanup()
        self.cmd("rmi", "--all", "--force")


class Containerd(Engine):
    """A containerd 1.6 daemon of our own (sockets, root, state under tmp), driven by ctr."""

    name = "containerd"

    def __init__(self, ns, tmp, token, runtime, runtime_root, rootfs, cgroup_base):
        super().__init__(ns, tmp, token, cgroup_base)
        self.runtime = runtime
        self.rootfs = rootfs
        self.runtime_root = runtime_root
        self.dir = os.path.join(tmp, "containerd")
        self.fifo_dir = os.path.join(self.dir, "fifo")
        os.makedirs(self.fifo_dir, exist_ok=True)
        self.address = os.path.join(self.dir, "containerd.sock")
        self.config = os.path.join(self.dir, "config.toml")
        with open(self.config, "w") as f:
            f.write(f"""version = 2
root = "{self.dir}/root"
state = "{self.dir}/state"
# No CRI, no snapshotters or services the tests do not use, nothing under /opt.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{self.address}"
[ttrpc]
  address = "{self.address}.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
""")
        self.proc = None
        self._spec = None

    def start_daemon(self):
        log = open(os.path.join(self.dir, "containerd.log"), "w")
        self.proc = subprocess.Popen(self.ns.prefix + ["containerd", "--config", self.config],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"containerd exited {self.proc.returncode}: see {log.name}")
            if os.path.exists(self.address) and self.cmd("version").returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"containerd did not come up: see {log.name}")

    def stop_daemon(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def argv(self, *args):
        return ["ctr", "--address", self.address, "--namespace", self.token, *args]

    def cmd(self, *args, **kw):
        return self._run(self.argv(*args), **kw)

    def import_archive(self, path):
        self.check(self.argv("image", "import", path))

    def _runtime_flags(self):
        return ["--runtime", "io.containerd.runc.v2", "--runc-binary", self.runtime,
                "--runc-root", self.runtime_root, "--fifo-dir", self.fifo_dir]

    def _spec_file(self, name, cmd, env, user, pids, memory, mounts, cgroup):
        """ctr run has no --user or --pids-limit: for those a full spec (ctr's default,
        edited) goes in with --config. ctr then uses that spec alone (no image, no other
        flags), so it names the session's busybox root directly (read-only: shared) and
        carries everything."""
        if self._spec is None:
            self._spec = json.loads(self.check(self.argv("oci", "spec")).stdout)
        spec = json.loads(json.dumps(self._spec))
        proc, lin = spec["process"], spec["linux"]
        proc["args"] = list(cmd)
        proc["env"] = [PATH_ENV] + [f"{k}={v}" for k, v in (env or {}).items()]
        if user:
            uid, _, gid = user.partition(":")
            proc["user"] = {"uid": int(uid), "gid": int(gid or uid)}
        res = lin.setdefault("resources", {})
        if pids:
            res["pids"] = {"limit": pids}
        if memory:
            res["memory"] = {"limit": memory}
        spec["root"] = {"path": self.rootfs, "readonly": True}
        for src, dst in mounts:
            spec["mounts"].append({"destination": dst, "type": "bind", "source": src,
                                   "options": ["rbind", "ro"]})
        lin["cgroupsPath"] = cgroup
        path = os.path.join(self.dir, f"spec-{name}.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return ["--config", path, name]

    def _args(self, name, cmd, env=None, user=None, memory=None, pids=None, read_only=False,
              mounts=(), cgroup_parent=None):
        """The arguments of `ctr run` after its mode flags (--rm, -d, -t)."""
        a = self._runtime_flags()
        cgroup = f"{cgroup_parent or self.cgroup_base}/{name}"
        if user or pids:
            return a + self._spec_file(name, cmd, env, user, pids, memory, mounts, cgroup)
        a += ["--cgroup", cgroup]
        for k, v in (env or {}).items():
            a += ["--env", f"{k}={v}"]
        if memory:
            a += ["--memory-limit", str(memory)]
        if read_only:
            a.append("--read-only")
        for src, dst in mounts:
            a += ["--mount", f"type=bind,src={src},dst={dst},options=rbind:ro"]
        return a + [IMAGE, name, *cmd]

    def run(self, cmd, input=None, **opts):
        return self.cmd("run", "--rm", *self._args(self.new_name(), cmd, **opts), input=input)

    def run_popen(self, cmd, **opts):
        name = self.new_name()
        argv = self.ns.prefix + self.argv("run", "--rm", *self._args(name, cmd, **opts))
        return name, subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)

    def run_tty(self, cmd, **opts):
        return hostcheck.run_in_pty(self.ns.prefix + self.argv(
            "run", "--rm", "-t", *self._args(self.new_name(), cmd, **opts)))

    def start(self, cmd=LONG, **opts):
        name = self.new_name()
        p = self.cmd("run", "-d", "--null-io", *self._args(name, cmd, **opts))
        assert p.returncode == 0, f"ctr run -d: {p.stderr}"
        return name

    def exec(self, name, cmd, user=None):
        return self.cmd("task", "exec", "--fifo-dir", self.fifo_dir,
                        "--exec-id", "x" + secrets.token_hex(4),
                        *(["--user", user] if user else []), name, *cmd)

    def exec_tty(self, name, cmd):
        return hostcheck.run_in_pty(self.ns.prefix + self.argv(
            "task", "exec", "-t", "--fifo-dir", self.fifo_dir, "--exec-id",
            "x" + secrets.token_hex(4), name, *cmd))

    def pause(self, name):
        return self.cmd("task", "pause", name)

    def resume(self, name):
        return self.cmd("task", "resume", name)

    def kill(self, name, sig):
        return self.cmd("task", "kill", "--signal", "SIG" + sig, name)

    def stop(self, name):
        p = self.kill(name, "TERM")
        if p.returncode == 0:
            self.wait_status(name, "stopped")
        return p

    def remove(self, name):
        p = self.cmd("task", "delete", name)
        if p.returncode != 0:
            return p
        return self.cmd("container", "delete", name)

    def force_remove(self, name):
        if self._task(name):
            self.cmd("task", "kill", "--signal", "SIGKILL", name)
            self.cmd("task", "delete", "--force", name, timeout=CLEANUP_TIMEOUT)
        self.cmd("container", "delete", name)

    def _task(self, name):
        for line in self.cmd("task", "ls").stdout.splitlines()[1:]:
            f = line.split()
            if f and f[0] == name:
                return {"pid": int(f[1]), "status": f[2].lower()}
        return None

    def status(self, name):
        t = self._task(name)
        return t["status"] if t else None

    def pid(self, name):
        return self._task(name)["pid"]

    def runtime_id(self, name):
        return name

    def ps(self, name):
        p = self.check(self.argv("task", "ps", name))
        return [int(line.split()[0]) for line in p.stdout.splitlines()[1:] if line.strip()]

    def ids(self):
        return self.check(self.argv("container", "ls", "--quiet")).stdout.split()

    def memory_usage(self, name):
        """The shim reads the cgroup of the task's init (ctr task metrics)."""
        p = self.check(self.argv("task", "metrics", "--format", "json", name))
        return int(json.loads(p.stdout)["memory"]["usage"]["usage"])

    def shutdown(self):
        try:
            self.made = self.ids()
            self.cleanup()
            for ref in self.check(self.argv("image", "ls", "--quiet")).stdout.split():
                self.cmd("image", "remove", "--sync", ref)
        finally:
            self.stop_daemon()


def _bytes(text):
    """'1.2MB', '512kB', '3B' (Podman's stats units, powers of 1000) -> bytes."""
    text = text.strip()
    for unit, mult in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3), ("B", 1)):
        if text.endswith(unit):
            return int(float(text[:-len(unit)]) * mult)
    raise ValueError(f"unknown size {text!r}")
