"""process.terminal: --console-socket (create/start, runc's protocol) and the
foreground relay of `run` in a terminal the test owns.

The console socket side is what containerd's shim and conmon do: listen on a
unix stream socket, receive ONE message whose data is a name and whose control
part is the pty master.  The foreground side puts `run` on a pty the test
created (its slave as stdin/stdout/stderr and controlling terminal), types into
it and reads what comes back.
"""
import os
import signal
import termios
import time

import pytest

import arcatest
from terminals import ConsoleSocket, HostTerminal, add_tty_applets, host_tty, read_all  # noqa: F401


def terminal_bundle(make_bundle, args, size=None, extra=None):
    def mut(b):
        add_tty_applets(b)
        b.process["terminal"] = True
        b.set_args(*args)
        b.process["env"] = [e for e in b.process.get("env", []) if not e.startswith("PS1=")]
        b.process["env"].append("PS1=PROMPT> ")
        if size:
            b.process["consoleSize"] = {"height": size[0], "width": size[1]}
        if extra:
            extra(b)
    return make_bundle(mut)


def console_session(runtime, bundle, cid, detached_run=False):
    """create --console-socket + start (or run -d --console-socket); returns what
    the receiver saw."""
    cs = ConsoleSocket(bundle.dir)
    try:
        verb = runtime.run_detached if detached_run else runtime.create
        p = verb(cid, bundle, "--console-socket", cs.path)
        assert p.returncode == 0, p.stderr
        data, fds = cs.receive()
        assert len(fds) == 1, fds
        master = fds[0]
        try:
            # Nobody may keep the connection: not the runtime, not the waiting init.
            closed = cs.peer_closed()
            if not detached_run:
                assert runtime.start(cid).returncode == 0
            output = read_all(master)
        finally:
            os.close(master)
        runtime.wait_status(cid, "stopped")
        runtime.delete(cid)
        return {"data": data, "closed": closed, "output": output}
    finally:
        cs.close()


def probe_view(session):
    rep = arcatest.parse_probe(session["output"])
    stat = arcatest.check(rep, "stat", "/dev/console")
    proc_stat = arcatest.check(rep, "read", "/proc/self/stat")["data"]
    fields = proc_stat.rsplit(")", 1)[1].split()
    tty_nr = int(fields[4])  # field 7 of stat(5): the controlling terminal
    return {
        "data": session["data"],
        "closed": session["closed"],
        "stdio": sorted(set(rep["fds"].values())),
        "console": (stat["type"], stat["major"], stat["minor"], stat["uid"]),
        "console_mounted": any(m["mountpoint"] == "/dev/console" for m in rep["mounts"]),
        "session_leader": int(fields[3]) == rep["pid"],
        "ctty": (tty_nr >> 8 & 0xfff, (tty_nr & 0xff) | (tty_nr >> 12 & 0xfff00)),
        "uid": rep["uid"][0],
    }


PROBE_TTY = ["/probe", "stat", "/dev/console", "read", "/proc/self/stat"]


def observe_console(runtime, make_bundle, user=None):
    def as_user(b):
        if user is not None:
            b.process["user"] = {"uid": user, "gid": user}
    b = terminal_bundle(make_bundle, PROBE_TTY, extra=as_user)
    return probe_view(console_session(runtime, b, arcatest.new_id()))


def test_console_socket_gets_the_master_and_the_container_a_tty(rt, make_bundle):
    v = observe_console(rt, make_bundle)
    assert v["data"] == b"/dev/ptmx"  # runc's message: the master's name
    assert v["closed"]
    # stdin/stdout/stderr are the pty slave and nothing else is open: no master, no
    # console socket inside the container.
    assert v["stdio"] == ["/dev/pts/0"]
    typ, major, minor, _uid = v["console"]
    assert (typ, major, minor) == ("chr", 136, 0)  # /dev/console is the slave
    assert v["console_mounted"]
    assert v["session_leader"]
    assert v["ctty"] == (136, 0)


def test_console_belongs_to_the_process_user(rt, make_bundle):
    v = observe_console(rt, make_bundle, user=1000)
    assert v["uid"] == 1000
    assert v["console"][3] == 1000  # its own terminal, as runc does


@pytest.mark.differential
def test_console_socket_matches_runc(rt, ref, make_bundle):
    assert observe_console(rt, make_bundle) == observe_console(ref, make_bundle)


def test_console_size_and_tty(rt, make_bundle):
    b = terminal_bundle(make_bundle, ["sh", "-c", "tty; stty size"],
                        size=(33, 111))
    s = console_session(rt, b, arcatest.new_id())
    lines = s["output"].replace("\r", "").split("\n")
    assert lines[0] == "/dev/pts/0", s["output"]
    assert lines[1] == "33 111", s["output"]


def test_run_detached_sends_the_master(rt, make_bundle):
    b = terminal_bundle(make_bundle, ["sh", "-c", "tty; echo $((6*7))"])
    s = console_session(rt, b, arcatest.new_id(), detached_run=True)
    assert s["data"] == b"/dev/ptmx"
    assert s["output"].split() == ["/dev/pts/0", "42"]


def test_console_socket_error_leaves_nothing(rt, make_bundle):
    b = terminal_bundle(make_bundle, ["true"])
    cid = arcatest.new_id()
    missing = os.path.join(b.dir, "no-such.sock")
    p = rt.create(cid, b, "--console-socket", missing)
    assert p.returncode != 0
    assert rt.state(cid) is None
    assert arcatest.leaked_pids(cid) == []
    if rt.name == "arca":
        err = p.stderr.strip()
        assert err.count("\n") == 0, err
        assert err == (f'arca: create "{cid}": console socket "{missing}": connect: '
                       "No such file or directory")


@pytest.mark.parametrize("case", ["create-no-socket", "run-d-no-socket", "socket-no-terminal",
                                  "socket-foreground"])
def test_terminal_flag_combinations_are_refused(rt, make_bundle, case):
    terminal = case != "socket-no-terminal"
    b = terminal_bundle(make_bundle, ["true"],
                        extra=lambda b: b.process.update(terminal=terminal))
    cid = arcatest.new_id()
    sock = os.path.join(b.dir, "unused.sock")
    if case == "create-no-socket":
        p = rt.create(cid, b)
    elif case == "run-d-no-socket":
        p = rt.run_detached(cid, b)
    elif case == "socket-no-terminal":
        p = rt.create(cid, b, "--console-socket", sock)
    else:
        p = rt.run(cid, b, "--console-socket", sock)
    assert p.returncode != 0
    assert rt.state(cid) is None
    assert arcatest.leaked_pids(cid) == []
    if rt.name == "arca":
        err = p.stderr.strip()
        assert err.startswith("arca: ") and "\n" not in err, err
        assert "console-socket" in err


def failed_create(rt, bundle):
    """create --console-socket that must fail: returns (cid, one-line stderr) after
    checking that nothing is left behind."""
    cid = arcatest.new_id()
    cs = ConsoleSocket(bundle.dir)
    try:
        p = rt.create(cid, bundle, "--console-socket", cs.path)
    finally:
        cs.close()
    assert p.returncode == 1
    assert rt.state(cid) is None
    assert arcatest.leaked_pids(cid) == []
    return cid, p.stderr.strip()


@pytest.mark.arca_only
def test_console_size_that_does_not_fit_is_refused(rt, make_bundle):
    cid, err = failed_create(rt, terminal_bundle(make_bundle, ["true"], size=(24, 70000)))
    assert err == (f'arca: create "{cid}": config.json: '
                   "/process/consoleSize/width: 70000 exceeds 65535")


@pytest.mark.arca_only
def test_missing_devpts_fails_create_cleanly(rt, make_bundle):
    def no_devpts(b):
        b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/dev/pts"]
    cid, err = failed_create(rt, terminal_bundle(make_bundle, ["true"], extra=no_devpts))
    assert err == (f'arca: create "{cid}": container init: terminal: '
                   'open "/dev/ptmx" in rootfs: No such file or directory')


# --------------------------------------------------------------- foreground run
def start_shell(rt, make_bundle, host_tty, args=("sh",), rows=24, cols=80, size=None):
    b = terminal_bundle(make_bundle, list(args), size=size)
    b.write_config()
    cid = arcatest.new_id()
    rt.track(cid)
    t = host_tty(rows, cols)
    t.spawn(rt.argv("run", "--bundle", b.dir, cid))
    if tuple(args) == ("sh",):
        t.expect("PROMPT> ")  # an interactive shell, ready for typing
    return t, cid


def test_run_relays_output_and_exit_status(rt, make_bundle, host_tty):
    t, _ = start_shell(rt, make_bundle, host_tty,
                       args=("sh", "-c", "tty; echo out-$((6*7)); exit 3"))
    t.expect("/dev/pts/0")
    t.expect("out-42")
    assert t.wait() == 3


def test_run_typed_input_reaches_the_shell(rt, make_bundle, host_tty):
    t, _ = start_shell(rt, make_bundle, host_tty)
    # Raw mode on our terminal while the container runs: no echo, no line editing here.
    assert not t.mode()[3] & (termios.ICANON | termios.ECHO | termios.ISIG)
    t.type(b"echo typed-$((6*7))\r")
    t.expect("typed-42")
    assert t.exit(5) == 5


def test_run_restores_the_host_terminal(rt, make_bundle, host_tty):
    t, _ = start_shell(rt, make_bundle, host_tty)
    assert t.mode() != t.before
    assert t.exit(0) == 0
    assert t.mode() == t.before


@pytest.mark.arca_only
def test_run_restores_the_host_terminal_when_arca_dies(rt, make_bundle, host_tty):
    t, cid = start_shell(rt, make_bundle, host_tty)
    assert t.mode() != t.before
    t.proc.send_signal(signal.SIGABRT)  # a fatal signal arca does not forward
    assert t.wait() == -signal.SIGABRT
    assert t.mode() == t.before
    rt.force_delete(cid)


def test_run_ctrl_c_reaches_the_foreground_job(rt, make_bundle, host_tty):
    t, _ = start_shell(rt, make_bundle, host_tty)
    # The quotes keep the marker out of the echoed command line.
    t.type(b"sh -c 'echo STA''RTED; exec sleep 100'\r")
    t.expect("STARTED")
    t.type(b"\x03")
    t.expect("PROMPT> ")
    t.type(b"echo rc=$?\r")
    t.expect("rc=130")  # SIGINT from the container's own line discipline
    assert t.exit(0) == 0


def test_run_ctrl_z_stops_the_job(rt, make_bundle, host_tty):
    t, _ = start_shell(rt, make_bundle, host_tty)
    t.type(b"sh -c 'echo ZZ''Z; read x; echo CONT''INUED; exec sleep 100'\r")
    t.expect("ZZZ")
    t.type(b"\x1a")
    t.expect("Stopped")  # job control: the shell is back, the job stopped
    t.expect("PROMPT> ")
    # fg gives the job the terminal again: its read gets the line typed now.
    t.type(b"fg\r")
    t.type(b"\r")
    t.expect("CONTINUED")
    t.type(b"\x03")
    t.expect("PROMPT> ")
    t.type(b"echo rc=$?\r")
    t.expect("rc=130")
    assert t.exit(4) == 4


def test_run_window_size_follows_the_host_terminal(rt, make_bundle, host_tty):
    # process.consoleSize is only the start: in the foreground the terminal's own size wins.
    t, _ = start_shell(rt, make_bundle, host_tty, rows=40, cols=100, size=(10, 10))
    t.type(b"stty size\r")
    t.expect("40 100")
    t.expect("PROMPT> ")
    t.resize(50, 132)  # SIGWINCH to the runtime
    t.type(b"stty size\r")
    t.expect("50 132")
    assert t.exit(0) == 0


def test_run_killed_container_status_passes_through(rt, make_bundle, host_tty):
    t, cid = start_shell(rt, make_bundle, host_tty)
    assert rt.kill(cid, "KILL").returncode == 0
    assert t.wait() == 128 + signal.SIGKILL
    assert t.mode() == t.before
    assert rt.state(cid) is None  # a foreground run removes its container


@pytest.mark.arca_only
def test_run_without_a_terminal_on_stdin(rt, make_bundle):
    # runc refuses (it needs /dev/tty); arca relays anyway and passes end-of-file on as
    # the terminal's EOF character, so the shell ends.
    b = terminal_bundle(make_bundle, ["sh"])
    cid = arcatest.new_id()
    p = rt.run(cid, b, input="echo piped-$((6*7))\n")
    assert p.returncode == 0, p.stderr
    assert "piped-42" in p.stdout
