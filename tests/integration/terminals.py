"""Terminal helpers shared by the terminal tests of run and exec: a console socket
receiver as container engines run it, and a terminal the test owns."""
import fcntl
import os
import pty
import select
import socket
import struct
import subprocess
import termios
import time

import pytest

TTY_APPLETS = ["tty", "stty"]


def add_tty_applets(b):
    for a in TTY_APPLETS:
        link = os.path.join(b.rootfs, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)


# --------------------------------------------------------------- console socket
class ConsoleSocket:
    """The receiving end of --console-socket, as a container engine runs it."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "console.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.conn = None

    def receive(self):
        """Accepts the runtime's connection; returns (data, [fds])."""
        self.conn, _ = self.sock.accept()
        self.conn.settimeout(30)
        data, fds, _flags, _addr = socket.recv_fds(self.conn, 4096, 4)
        return data, fds

    def peer_closed(self):
        """True once nobody holds the runtime's end (arca and the init closed it)."""
        return self.conn.recv(1) == b""

    def close(self):
        if self.conn:
            self.conn.close()
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def read_all(fd, timeout=30):
    """Reads a pty master until every slave is closed (EIO) or the deadline."""
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the container's processes are gone
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


class HostTerminal:
    """A pty the test owns, standing in for the user's terminal: the runtime runs
    with its slave as stdin/stdout/stderr and controlling terminal."""

    def __init__(self, rows=24, cols=80):
        self.master, self.slave = pty.openpty()
        self.resize(rows, cols)
        self.out = b""
        self.seen = 0
        self.proc = None
        self.before = termios.tcgetattr(self.slave)

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def spawn(self, argv, env=None):
        def controlling_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.proc = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave,
                                     stderr=self.slave, start_new_session=True,
                                     preexec_fn=controlling_terminal, env=env)

    def mode(self):
        return termios.tcgetattr(self.slave)

    def type(self, data):
        os.write(self.master, data)

    def _read(self, wait):
        r, _, _ = select.select([self.master], [], [], wait)
        if r:
            try:
                self.out += os.read(self.master, 4096)
            except OSError:
                pass

    def expect(self, needle, timeout=30):
        """Waits for `needle` in the output after what earlier expects consumed."""
        needle = needle.encode()
        deadline = time.time() + timeout
        while time.time() < deadline:
            i = self.out.find(needle, self.seen)
            if i >= 0:
                self.seen = i + len(needle)
                return
            self._read(0.2)
        raise AssertionError(f"{needle!r} not seen; output so far: {self.out!r}")

    def exit(self, code):
        """Ends the container's interactive shell; returns the runtime's status."""
        self.type(f"exit {code}\r".encode())
        return self.wait()

    def wait(self, timeout=30):
        deadline = time.time() + timeout
        while self.proc.poll() is None and time.time() < deadline:
            self._read(0.2)
        if self.proc.poll() is None:
            raise AssertionError(f"still running; output so far: {self.out!r}")
        self._read(0.1)
        return self.proc.returncode

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def host_tty():
    made = []

    def factory(rows=24, cols=80):
        t = HostTerminal(rows, cols)
        made.append(t)
        return t
    yield factory
    for t in made:
        t.close()
