"""exec -t: a pty for the exec'd process, relayed in the foreground or sent to a
--console-socket (`exec -d -t`, as containerd's shim and conmon call it).

The init here has no terminal: the pty is the exec'd process's own, from the
container's devpts, and /dev/console stays what the init has.
"""
import json
import os
import signal
import subprocess

import pytest

import arcatest
from test_exec import others_in_pidns
from terminals import ConsoleSocket, add_tty_applets, host_tty, read_all  # noqa: F401

SLEEP = ["sleep", "1000"]
PROBE_TTY = ["/probe", "read", "/proc/self/stat"]


@pytest.fixture
def sleeper(rt, make_bundle):
    """A running container whose init sleeps without a terminal; returns its id."""
    def mut(b):
        add_tty_applets(b)
        b.set_args(*SLEEP)
        b.process["env"] = [e for e in b.process.get("env", []) if not e.startswith("PS1=")]
        b.process["env"].append("PS1=PROMPT> ")
    b = make_bundle(mut)
    cid = arcatest.new_id()
    p = rt.run_detached(cid, b)
    assert p.returncode == 0, p.stderr
    return cid


def tty_view(output):
    """What the probe saw of its terminal: stdio targets, session leader, ctty."""
    rep = arcatest.parse_probe(output)
    proc_stat = arcatest.check(rep, "read", "/proc/self/stat")["data"]
    fields = proc_stat.rsplit(")", 1)[1].split()
    return {
        "stdio": sorted(set(rep["fds"].values())),
        "session_leader": int(fields[3]) == rep["pid"],
        "has_ctty": int(fields[4]) != 0,
        "pid": rep["pid"],
    }


def test_foreground_exec_gets_a_terminal(rt, sleeper, host_tty):
    t = host_tty(30, 90)
    t.spawn(rt.argv("exec", "-t", sleeper, "sh", "-c", "tty; stty size; exit 7"))
    t.expect("/dev/pts/")
    t.expect("30 90")  # the size of the terminal exec runs in
    assert t.wait() == 7


def test_foreground_exec_interactive_shell(rt, sleeper, host_tty):
    t = host_tty()
    t.spawn(rt.argv("exec", "-t", sleeper, "sh"))
    t.expect("PROMPT> ")
    assert t.mode() != t.before  # raw mode on our side while the process runs
    t.type(b"echo typed-$((6*7))\r")
    t.expect("typed-42")
    t.type(b"sh -c 'echo STA''RTED; exec sleep 100'\r")
    t.expect("STARTED")
    t.type(b"\x03")  # Ctrl-C reaches the job through the container's line discipline
    t.expect("PROMPT> ")
    t.resize(50, 132)
    t.type(b"stty size\r")
    t.expect("50 132")
    before = t.before
    t.type(b"exit 3\r")
    assert t.wait() == 3
    assert t.mode() == before  # raw mode undone


def test_foreground_exec_probe_view(rt, sleeper, host_tty):
    t = host_tty()
    t.spawn(rt.argv("exec", "-t", sleeper, *PROBE_TTY))
    assert t.wait() == 0
    out = t.out.decode(errors="replace").replace("\r\n", "\n")
    v = tty_view(out)
    # stdio is one pty slave of the container's devpts, and no master is held inside.
    assert len(v["stdio"]) == 1 and v["stdio"][0].startswith("/dev/pts/"), v
    assert v["session_leader"] and v["has_ctty"]
    assert v["pid"] != 1


def detached_exec_session(rt, tmp_path, *exec_args):
    """`exec -d ... --console-socket S EXEC_ARGS` as an engine runs it: returns the message
    data, whether the connection was closed after it, and what the process wrote."""
    cs = ConsoleSocket(str(tmp_path))
    try:
        p = subprocess.run(rt.argv("exec", "--detach", "--console-socket", cs.path, *exec_args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        data, fds = cs.receive()
        assert len(fds) == 1
        closed = cs.peer_closed()
        try:
            out = read_all(fds[0]).replace("\r\n", "\n")
        finally:
            os.close(fds[0])
    finally:
        cs.close()
    return data, closed, out


def test_detached_exec_sends_the_master(rt, sleeper, tmp_path):
    data, closed, out = detached_exec_session(rt, tmp_path, "-t", sleeper, *PROBE_TTY)
    assert data == b"/dev/ptmx"
    assert closed  # neither arca nor the process keeps the connection
    v = tty_view(out)
    assert len(v["stdio"]) == 1 and v["stdio"][0].startswith("/dev/pts/"), v
    assert v["session_leader"] and v["has_ctty"]


@pytest.mark.arca_only  # runc refuses: it opens /dev/tty
def test_exec_tty_with_piped_stdin(rt, sleeper):
    # Not a terminal on our side: the relay still runs, and end of input ends the shell.
    p = subprocess.run(rt.argv("exec", "-t", sleeper, "sh"), input="echo piped-$((6*7))\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "piped-42" in p.stdout


def test_exec_tty_killed_status(rt, sleeper, host_tty):
    t = host_tty()
    t.spawn(rt.argv("exec", "-t", sleeper, "sh", "-c", "echo READY; kill -KILL $$"))
    t.expect("READY")
    assert t.wait() == 128 + signal.SIGKILL


@pytest.mark.parametrize("case", ["detach-without-socket", "socket-without-tty",
                                  "socket-in-foreground"])
def test_terminal_flag_combinations_are_refused(rt, sleeper, tmp_path, case):
    # A real, listening socket: the refusal must come from the flag rule, not from a
    # failed connect.
    cs = ConsoleSocket(str(tmp_path))
    flags, text = {
        "detach-without-socket": (["-d", "-t"], "no --console-socket was given"),
        "socket-without-tty": (["-d", "--console-socket", cs.path],
                               "--console-socket needs process.terminal"),
        "socket-in-foreground": (["-t", "--console-socket", cs.path],
                                 "--console-socket needs a detached container"),
    }[case]
    try:
        p = subprocess.run(rt.argv("exec", *flags, sleeper, "true"), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
    finally:
        cs.close()
    assert p.returncode != 0
    if rt.name == "arca":
        assert text in p.stderr, p.stderr
    assert rt.cmd("exec", sleeper, "true").returncode == 0  # the container is unharmed


@pytest.mark.arca_only
def test_terminal_errors_are_one_line_and_leave_nothing(rt, sleeper, tmp_path):
    init = rt.state(sleeper)["pid"]

    def one_line(*flags):
        p = subprocess.run(rt.argv("exec", *flags, sleeper, "true"), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        lines = p.stderr.strip().splitlines()
        assert p.returncode != 0 and len(lines) == 1, p.stderr
        assert lines[0].startswith(f'arca: exec "{sleeper}": '), lines[0]
        return lines[0]

    missing = str(tmp_path / "missing.sock")
    assert one_line("-d", "-t", "--console-socket", missing).endswith(
        f'console socket "{missing}": connect: No such file or directory')
    assert "--console-socket" in one_line("-d", "-t")
    assert "--console-socket needs process.terminal" in one_line(
        "-d", "--console-socket", missing)
    assert others_in_pidns(init) == []  # nothing was started


def test_process_file_with_tty_flag_as_podman_calls_it(rt, sleeper, tmp_path):
    # Podman: exec --process FILE (terminal: true) --detach --tty --console-socket S.
    # The file's terminal decides; -t beside --process is accepted and ignored (runc).
    process = tmp_path / "process.json"
    process.write_text(json.dumps({"terminal": True, "args": PROBE_TTY, "cwd": "/",
                                   "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}))
    _data, _closed, out = detached_exec_session(rt, tmp_path, "--process", str(process),
                                                "--tty", sleeper)
    v = tty_view(out)
    assert v["session_leader"] and v["has_ctty"]
