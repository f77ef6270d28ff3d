"""Real Podman and containerd driving the runtime under test (issue 6, item 5).

Runtime under test: env RUNTIME_UNDER_TEST (or --runtime-under-test): "arca" (default:
env ARCA_BIN, else <repo>/build/arca), "runc" (for validating this harness), or a path.

Each engine runs with its own config, sockets, storage, state and runtime root under one
session temp dir, inside a private mount namespace, with every container in the cgroup tree
<own memory cgroup>/<token>/... (token = the session's random name); everything is removed at the end and the
session fails if anything was left (processes, mounts, cgroups, containers).

The runtime is called through a wrapper script that logs each call (exit status + argv);
the terminal summary lists the distinct verbs and flags each engine used. Set
ARCA_ENGINES_ARGV_DIR to also keep the raw logs there.

Scenarios marked @pytest.mark.needs("exec"|"terminal") are strict xfails against arca while
arca lacks the feature (ARCA_LACKS below; env ARCA_HAS="terminal" overrides): they fail
loudly once it lands, and the entry comes out.
"""
import os
import secrets
import shutil
import sys
import tempfile

import pytest

# The integration suite's helpers (busybox users, process scans) serve here too.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import argvlog  # noqa: E402
import engines  # noqa: E402
import hostcheck  # noqa: E402
import images  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

ARCA_LACKS = {}


def pytest_addoption(parser):
    parser.addoption("--runtime-under-test", default=None,
                     help="arca (default), runc, or the path of a runtime binary")


def _runtime(config):
    choice = config.getoption("--runtime-under-test") or os.environ.get(
        "RUNTIME_UNDER_TEST") or "arca"
    if os.sep in choice:
        return os.path.basename(choice), os.path.abspath(choice)
    if choice == "arca":
        return "arca", os.path.abspath(os.environ.get("ARCA_BIN")
                                       or os.path.join(REPO, "build", "arca"))
    return choice, shutil.which(choice) or choice


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*features): scenario needs a runtime feature "
                            "arca may lack (exec, terminal): strict xfail while it does")
    config._engines_runtime = _runtime(config)
    config._engines_argv = {}


def pytest_report_header(config):
    name, binary = config._engines_runtime
    return f"runtime under test: {name} ({binary})"


def _lacking(config):
    name, _ = config._engines_runtime
    if name != "arca":
        return {}
    have = os.environ.get("ARCA_HAS", "").replace(",", " ").split()
    return {k: v for k, v in ARCA_LACKS.items() if k not in have}


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="engine tests need root")
        for it in items:
            it.add_marker(skip)
        return
    lacking = _lacking(config)
    for it in items:
        for m in it.iter_markers("needs"):
            reasons = [lacking[f] for f in m.args if f in lacking]
            if reasons:
                it.add_marker(pytest.mark.xfail(reason="; ".join(reasons), strict=True))


def pytest_terminal_summary(terminalreporter, config):
    for engine, lines in sorted(config._engines_argv.items()):
        terminalreporter.write_sep("-", f"runtime calls made by {engine}")
        for line in argvlog.summarize(lines):
            terminalreporter.write_line(line)


class Session:
    def __init__(self, runtime_name, runtime_bin):
        self.runtime_name = runtime_name
        self.runtime_bin = runtime_bin
        self.token = "arca-engines-" + secrets.token_hex(4)
        # Every container's cgroup is below this, nested under our own memory cgroup.
        self.cgroup_base = hostcheck.nested_cgroup_base(self.token)
        self.cgroup_parents = hostcheck.missing_parents(self.cgroup_base)
        self.tmp = tempfile.mkdtemp(prefix=self.token + "-", dir="/tmp")
        os.chmod(self.tmp, 0o755)
        self.ns = hostcheck.MountNamespace()
        self.host_before = hostcheck.host_dirs_snapshot()
        self.problems = []  # found on the way (engines' cleanup), reported at the end

    def wrapper(self, engine, extra=()):
        """The runtime as this engine sees it (same basename, logging its calls)."""
        log = os.path.join(self.tmp, f"argv-{engine}.log")
        path = os.path.join(self.tmp, f"bin-{engine}", self.runtime_name)
        return engines.write_wrapper(path, self.runtime_bin, log, extra), log

    def leftovers(self):
        """Everything of this session still on the host (and kills leaked processes)."""
        problems = []
        pids = hostcheck.processes_matching(self.tmp, self.cgroup_base)
        pids = [p for p in pids if p != self.ns.proc.pid]
        if pids:
            problems.append("processes left: " + "; ".join(hostcheck.describe(pids)))
            hostcheck.thaw_cgroup_tree(self.cgroup_base)  # a paused leftover dies thawed
            hostcheck.kill_pids(pids)
        mounts = self.ns.mounts_under(self.tmp)
        if mounts:
            problems.append(f"mounts left: {mounts}")
        return problems

    def close(self):
        problems = self.problems + self.leftovers()
        self.ns.close()
        left = hostcheck.remove_cgroup_tree(self.cgroup_base)
        left += hostcheck.remove_dirs(self.cgroup_parents)
        if left:
            problems.append(f"cgroups left: {left}")
        left = hostcheck.restore_host_dirs(self.host_before)
        if left:
            problems.append(f"host dirs left: {left}")
        if not hostcheck.mounts_under(self.tmp):
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            problems.append(f"kept {self.tmp} (still mounted or in use)")
        return problems


@pytest.fixture(scope="session")
def session(pytestconfig):
    name, binary = pytestconfig._engines_runtime
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.exit(f"runtime under test {name!r} not found: {binary} (build it, set ARCA_BIN "
                    "or RUNTIME_UNDER_TEST)", returncode=3)
    s = Session(name, binary)
    yield s
    for engine, log in (("podman", "argv-podman.log"), ("containerd", "argv-containerd.log")):
        lines = argvlog.read(os.path.join(s.tmp, log))
        if lines:
            pytestconfig._engines_argv[engine] = lines
            argvlog.keep(os.environ.get("ARCA_ENGINES_ARGV_DIR"), engine, lines)
    problems = s.close()
    assert not problems, "engine session left things behind:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def rootfs(session):
    return images.busybox_rootfs(os.path.join(session.tmp, "rootfs"))


def _need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (scripts/setup.sh installs them)")


@pytest.fixture(scope="session")
def podman(session, rootfs):
    _need("podman", "conmon")
    # Podman passes no --root to the runtime (and its cleanup process drops --runtime-flag),
    # so the wrapper pins the runtime's state dir into the session dir.
    wrapper, _ = session.wrapper("podman", ["--root", os.path.join(session.tmp, "rt-podman")])
    p = engines.Podman(session.ns, session.tmp, session.token, wrapper,
                       session.cgroup_base)
    p.import_rootfs(images.rootfs_tar(rootfs))
    yield p
    try:
        p.shutdown()
    finally:
        session.problems += p.problems


@pytest.fixture(scope="session")
def containerd(session, rootfs):
    _need("containerd", "ctr", "containerd-shim-runc-v2")
    wrapper, _ = session.wrapper("containerd")
    c = engines.Containerd(session.ns, session.tmp, session.token, wrapper,
                           os.path.join(session.tmp, "rt-containerd"), rootfs,
                           session.cgroup_base)
    c.start_daemon()
    try:
        c.import_archive(images.oci_archive(rootfs, os.path.join(session.tmp, "busybox.oci.tar"),
                                            engines.IMAGE))
        yield c
    finally:
        try:
            c.shutdown()
        finally:
            session.problems += c.problems


@pytest.fixture(scope="session", params=["podman", "containerd"])
def engine(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def eng(engine):
    """The engine for one test; the containers the test made are force-removed after."""
    yield engine
    engine.cleanup()
