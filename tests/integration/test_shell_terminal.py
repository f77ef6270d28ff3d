"""arca shell on a terminal: the container gets a pty, relayed in raw mode (Ctrl-C,
Ctrl-Z and job control inside, window size and SIGWINCH), and everything is removed
on exit. The test owns the terminal (a pty whose slave is arca's stdin/stdout/stderr
and controlling terminal)."""
import signal
import time

import pytest

from terminals import host_tty  # noqa: F401
from test_shell import Shell, new_name, sh, wait_running  # noqa: F401

pytestmark = pytest.mark.arca_only

PROMPT = "# "


def start(sh, host_tty, *args, rows=24, cols=80):
    t = host_tty(rows, cols)
    t.spawn(sh.argv(*args), env=sh.env())
    return t


def test_interactive_shell_on_the_built_in_root(sh, host_tty):
    name = new_name()
    t = start(sh, host_tty, "--name", name, rows=33, cols=99)
    t.expect(PROMPT)
    # Raw mode on our side: keys go to the container's line discipline as they are.
    assert t.mode() != t.before
    t.type(b"tty; stty size; ps\r")
    t.expect("/dev/pts/0")
    t.expect("33 99")
    t.expect("1 root")  # the shell is PID 1
    t.expect(PROMPT)
    t.resize(40, 120)  # SIGWINCH to arca, copied to the container's pty
    t.type(b"stty size\r")
    t.expect("40 120")
    t.expect(PROMPT)
    t.type(b"exit 5\r")
    assert t.wait() == 5
    assert t.mode() == t.before
    sh.assert_clean([name])


def test_ctrl_c_and_job_control_reach_the_container(sh, host_tty):
    t = start(sh, host_tty)
    t.expect(PROMPT)
    # The quotes keep the markers out of the echoed command line.
    t.type(b"sh -c 'echo STA''RTED; exec sleep 100'\r")
    t.expect("STARTED")
    t.type(b"\x03")  # SIGINT from the container's own line discipline
    t.expect(PROMPT)
    t.type(b"echo rc=$?\r")
    t.expect("rc=130")
    t.type(b"sh -c 'echo ZZ''Z; read x; echo CONT''INUED'\r")
    t.expect("ZZZ")
    t.type(b"\x1a")  # SIGTSTP: the job stops, the shell is back
    t.expect("Stopped")
    t.expect(PROMPT)
    t.type(b"fg\r")
    time.sleep(0.2)
    t.type(b"\r")
    t.expect("CONTINUED")
    t.type(b"exit 0\r")
    assert t.wait() == 0
    sh.assert_clean()


def test_killed_shell_status_and_cleanup(sh, host_tty):
    name = new_name()
    t = start(sh, host_tty, "--name", name)
    t.expect(PROMPT)
    assert sh.arca("kill", name, "KILL").returncode == 0
    assert t.wait() == 128 + signal.SIGKILL
    assert t.mode() == t.before
    sh.assert_clean([name])


def test_pipes_without_a_terminal(sh):
    # stdin not a terminal: no pty, plain pipes (the seed's `echo ps | ...` use).
    out = sh.ok("--", "sh", "-c", "tty; echo piped", stdin=None, input="")
    assert "not a tty" in out and "piped" in out
