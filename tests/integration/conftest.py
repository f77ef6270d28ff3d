"""Fixtures for the arca integration suite (works against any runc-compatible runtime).

Selecting the runtime under test:
  --runtime NAME / env RUNTIME        "arca" (default) or "runc" (or any name)
  --runtime-bin PATH / env RUNTIME_BIN  binary; default: env ARCA_BIN or
                                       <repo>/build/arca for arca, `runc` on PATH for runc
  env ARCA_PROBE                       prebuilt probe (default: compiled from
                                       tests/probe/probe.c with cc -static, else build/arca-probe)
Tests marked @pytest.mark.arca_only run only when the runtime name is "arca".
The differential tests compare against runc (env REF_RUNTIME_BIN, default `runc` on PATH).
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

import arcatest
from arcatest import Bundle, Runtime

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def pytest_addoption(parser):
    parser.addoption("--runtime", default=None, help="runtime name: arca (default) or runc")
    parser.addoption("--runtime-bin", default=None, help="path of the runtime binary")


def _runtime_choice(config):
    name = config.getoption("--runtime") or os.environ.get("RUNTIME")
    binary = config.getoption("--runtime-bin") or os.environ.get("RUNTIME_BIN")
    if name and os.sep in name:  # RUNTIME=/path/to/bin
        binary, name = name, None
    if not name:
        name = "runc" if binary and "runc" in os.path.basename(binary) else (
            os.path.basename(binary) if binary else "arca")
    if not binary:
        if name == "arca":
            binary = os.environ.get("ARCA_BIN") or os.path.join(REPO, "build", "arca")
        else:
            binary = shutil.which(name) or name
    return name, os.path.abspath(binary) if os.sep in binary else (shutil.which(binary) or binary)


def pytest_configure(config):
    config.addinivalue_line("markers", "arca_only: expectation specific to arca (error texts, features)")
    config.addinivalue_line("markers", "differential: compares the runtime under test with runc")
    name, binary = _runtime_choice(config)
    config._arca_runtime = (name, binary)


def pytest_report_header(config):
    name, binary = config._arca_runtime
    return f"runtime under test: {name} ({binary})"


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        return  # everything gets skipped below
    name, binary = session.config._arca_runtime
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        pytest.exit(f"runtime binary for {name!r} not found or not executable: {binary} "
                    f"(set ARCA_BIN / RUNTIME_BIN, or build it first)", returncode=3)


def pytest_collection_modifyitems(config, items):
    name, _ = config._arca_runtime
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="integration tests need root (namespaces, mounts, cgroups)")
        for it in items:
            it.add_marker(skip)
        return
    if name != "arca":
        skip = pytest.mark.skip(reason=f"arca-only expectation (runtime under test is {name})")
        for it in items:
            if "arca_only" in it.keywords:
                it.add_marker(skip)


# --------------------------------------------------------------------------- session
@pytest.fixture(scope="session")
def session_dir():
    d = tempfile.mkdtemp(prefix="arcatest-")
    os.chmod(d, 0o755)
    yield d
    arcatest.safe_rmtree(d)


@pytest.fixture(scope="session")
def runtime_info(pytestconfig):
    return pytestconfig._arca_runtime


@pytest.fixture(scope="session")
def probe_bin(session_dir):
    env = os.environ.get("ARCA_PROBE")
    if env:
        return os.path.abspath(env)
    src = os.path.join(REPO, "tests", "probe", "probe.c")
    out = os.path.join(session_dir, "arca-probe")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc:
        p = subprocess.run([cc, "-O2", "-static", "-o", out, src], capture_output=True, text=True)
        if p.returncode == 0:
            return out
    built = os.path.join(REPO, "build", "arca-probe")
    if os.path.exists(built):
        return built
    pytest.exit("cannot build the probe (no cc) and no build/arca-probe", returncode=3)


@pytest.fixture(scope="session")
def rootfs_template(session_dir, probe_bin):
    path = os.path.join(session_dir, "rootfs-template")
    arcatest.build_rootfs(path, probe_bin)
    return path


@pytest.fixture(scope="session")
def ref_bin():
    b = os.environ.get("REF_RUNTIME_BIN") or shutil.which("runc")
    return b


@pytest.fixture(scope="session")
def spec_default(session_dir, ref_bin, runtime_info):
    """The default config: `runc spec` if runc exists, else the runtime's `spec`."""
    d = os.path.join(session_dir, "spec-default")
    os.makedirs(d)
    binary = ref_bin or runtime_info[1]
    subprocess.run([binary, "spec", "--bundle", d], check=True, capture_output=True, timeout=30)
    with open(os.path.join(d, "config.json")) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def base_config(spec_default):
    return arcatest.default_config(spec_default)


@pytest.fixture(scope="session")
def _session_runtime(session_dir, runtime_info):
    name, binary = runtime_info
    rt = Runtime(name, binary, os.path.join(session_dir, f"state-{name}"))
    yield rt
    rt.cleanup_all()


@pytest.fixture(scope="session")
def _session_ref(session_dir, ref_bin):
    if not ref_bin:
        yield None
        return
    rt = Runtime("runc", ref_bin, os.path.join(session_dir, "state-ref-runc"))
    yield rt
    rt.cleanup_all()


# --------------------------------------------------------------------------- per test
@pytest.fixture
def rt(_session_runtime):
    """The runtime under test; containers it created are force-deleted afterwards."""
    yield _session_runtime
    _session_runtime.cleanup()


@pytest.fixture
def ref(_session_ref):
    """runc, for differential tests."""
    if _session_ref is None:
        pytest.skip("runc not installed: no reference runtime")
    yield _session_ref
    _session_ref.cleanup()


@pytest.fixture
def make_bundle(session_dir, rootfs_template, base_config, request):
    made = []

    def factory(mutator=None):
        path = os.path.join(session_dir, f"b-{arcatest.new_id()}")
        b = Bundle(path, rootfs_template, base_config)
        if mutator:
            mutator(b)
        b.write_config()
        made.append(b)
        return b

    yield factory
    for b in made:
        arcatest.safe_rmtree(b.dir)


@pytest.fixture
def bundle(make_bundle):
    return make_bundle()


@pytest.fixture
def run_container(rt, make_bundle):
    """run_container(mutator=None, args=None, runtime=None) -> CompletedProcess.

    Builds a fresh bundle, applies mutator(bundle), sets process.args if given,
    and runs it in the foreground (`run`), returning exit code/stdout/stderr.
    """

    def runner(mutator=None, args=None, runtime=None, extra=(), **kw):
        r = runtime or rt

        def mut(b):
            # args first, so a mutator may still override them (e.g. wrap in sh)
            if args is not None:
                b.set_args(*args)
            if mutator:
                mutator(b)

        b = make_bundle(mut)
        cid = arcatest.new_id()
        p = r.run(cid, b, *extra, **kw)
        p.bundle = b
        p.cid = cid
        # foreground run deletes the container itself; make sure nothing is left
        if r.state(cid) is not None:
            r.force_delete(cid)
        return p

    return runner


@pytest.fixture
def probe(run_container):
    """probe(mutator=None, *probe_args, runtime=None, rc=0) -> parsed report."""

    def runner(mutator=None, *probe_args, runtime=None, rc=0):
        p = run_container(mutator, ["/probe", *probe_args], runtime=runtime)
        assert p.returncode == rc, (f"probe exited {p.returncode}, want {rc}\n"
                                    f"stdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
        rep = arcatest.parse_probe(p.stdout)
        rep["_bundle"] = p.bundle.dir
        rep["_id"] = p.cid
        return rep

    return runner


@pytest.fixture(scope="session")
def runtime_features(_session_runtime):
    p = _session_runtime.cmd("features")
    if p.returncode != 0:
        return {}
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {}
