"""seccomp: the filter from linux.seccomp is compiled by arca and loaded in the init.

Compared with runc where both must behave alike (a denied syscall fails with the
configured errno, the probe sees seccomp mode 2), with and without noNewPrivileges.
"""
import errno
import fcntl
import json
import os
import select
import socket
import struct
import threading

import pytest

import arcatest


def deny_mkdir(errno_ret=1, nnp=True):
    def mutate(b):
        b.process["noNewPrivileges"] = nnp
        b.linux["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [
                {"names": ["mkdir", "mkdirat", "no_such_syscall_name"],
                 "action": "SCMP_ACT_ERRNO", "errnoRet": errno_ret},
                {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                 "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
            ],
        }
    return mutate


@pytest.mark.parametrize("nnp", [True, False])
@pytest.mark.parametrize("runtime", ["rt", "ref"])
def test_filter_denies_with_configured_errno(probe, request, runtime, nnp):
    rt = request.getfixturevalue(runtime)
    if rt is None:
        pytest.skip("no runc for comparison")
    rep = probe(deny_mkdir(errno_ret=1, nnp=nnp), "mkdir", "/dev/shm/x", "write", "/dev/shm/y",
                runtime=rt)
    assert rep["seccomp"] == 2
    assert rep["no_new_privs"] == (1 if nnp else 0)
    assert arcatest.check(rep, "mkdir", "/dev/shm/x")["result"] == "EPERM"
    assert arcatest.check(rep, "write", "/dev/shm/y")["result"] == "ok"


def test_errno_value_is_the_configured_one(probe):
    rep = probe(deny_mkdir(errno_ret=28), "mkdir", "/dev/shm/x")
    assert arcatest.check(rep, "mkdir", "/dev/shm/x")["result"] == "ENOSPC"


def test_no_seccomp_section_means_no_filter(probe):
    assert probe()["seccomp"] == 0


@pytest.mark.arca_only
@pytest.mark.parametrize("mutation,expect", [
    (lambda s: s.update(defaultAction="SCMP_ACT_FOO"),
     '/linux/seccomp/defaultAction: unknown action "SCMP_ACT_FOO"'),
    (lambda s: s["syscalls"][1]["args"][0].update(op="SCMP_CMP_FOO"),
     '/linux/seccomp/syscalls/1/args/0/op: unknown operator "SCMP_CMP_FOO"'),
])
def test_bad_profile_is_one_clear_error(run_container, mutation, expect):
    def mutate(b):
        deny_mkdir()(b)
        mutation(b.linux["seccomp"])
    p = run_container(mutate, ["/probe"])
    assert p.returncode != 0
    # Warnings (the unknown syscall name) are lines of their own; the error is one line.
    lines = [l for l in p.stderr.strip().splitlines() if not l.startswith("arca: warning:")]
    assert len(lines) == 1, p.stderr
    assert expect in lines[0], p.stderr


# --------------------------------------------------------------------------- SCMP_ACT_NOTIFY
# seccomp_unotify(2): struct seccomp_notif is 80 bytes, seccomp_notif_resp 24.
NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif)
NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp)


class Agent(threading.Thread):
    """A seccomp agent: for each connection to listenerPath it takes the listener fd and
    the state, then answers every notification with -reply_errno until the filter's
    tasks are gone (one thread per connection: the init's and an exec'd process's)."""

    def __init__(self, path, reply_errno=errno.EXDEV, connections=1):
        super().__init__(daemon=True)
        self.path = path
        self.reply_errno = reply_errno
        self.connections = connections
        self.states = []    # one ContainerProcessState per connection, in order
        self.nfds = []      # fds received per connection
        self.syscalls = []  # (nr, pid) of every notification answered
        self.errors = []
        self.handlers = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(connections)
        self.server.settimeout(30)

    @property
    def state(self):
        return self.states[0] if self.states else None

    @property
    def error(self):
        return self.errors[0] if self.errors else None

    def run(self):
        try:
            for _ in range(self.connections):
                conn, _ = self.server.accept()
                t = threading.Thread(target=self.serve, args=(conn,), daemon=True)
                t.start()
                self.handlers.append(t)
        except Exception as e:  # reported by the test
            self.errors.append(e)
        finally:
            self.server.close()
        for t in self.handlers:
            t.join(timeout=35)

    def serve(self, conn):
        try:
            with conn:
                data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                # Read until the JSON is whole, not until end-of-file: runc keeps its end
                # of the connection open.
                while (state := self.parse(data)) is None:
                    chunk = conn.recv(65536)
                    if not chunk:
                        raise ValueError(f"incomplete state: {data!r}")
                    data += chunk
            self.states.append(state)
            self.nfds.append(len(fds))
            for extra in fds[1:]:
                os.close(extra)
            self.answer(fds[0])
        except Exception as e:  # reported by the test
            self.errors.append(e)

    @staticmethod
    def parse(data):
        try:
            return json.loads(data)
        except ValueError:
            return None

    def answer(self, fd):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        try:
            while True:
                events = poller.poll(30000)
                if not events or events[0][1] & (select.POLLHUP | select.POLLERR):
                    return
                buf = bytearray(80)
                fcntl.ioctl(fd, NOTIF_RECV, buf, True)
                nid, pid, _ = struct.unpack_from("=QII", buf, 0)
                (nr,) = struct.unpack_from("=i", buf, 16)
                self.syscalls.append((nr, pid))
                fcntl.ioctl(fd, NOTIF_SEND,
                            bytearray(struct.pack("=QqiI", nid, 0, -self.reply_errno, 0)), True)
        finally:
            os.close(fd)


def notify_mkdir(listener, metadata="agent-metadata", nnp=True):
    def mutate(b):
        b.process["noNewPrivileges"] = nnp
        b.linux["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": listener,
            "listenerMetadata": metadata,
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}],
        }
    return mutate


@pytest.fixture
def agent(session_dir):
    agents = []

    def start(**kw):
        path = os.path.join(session_dir, f"ag-{arcatest.new_id()}.sock")
        a = Agent(path, **kw)
        a.start()
        agents.append(a)
        return a

    yield start
    for a in agents:
        a.join(timeout=35)
        if os.path.exists(a.path):
            os.unlink(a.path)


@pytest.mark.parametrize("nnp", [True, False])
@pytest.mark.parametrize("runtime", ["rt", "ref"])
def test_notify_hands_the_listener_fd_to_the_agent(probe, request, agent, runtime, nnp):
    """The agent gets the fd with runc's ContainerProcessState and answers the container's
    mkdir itself: the probe sees the agent's errno, and nothing was created."""
    rt = request.getfixturevalue(runtime)
    a = agent()
    rep = probe(notify_mkdir(a.path, nnp=nnp), "mkdir", "/dev/shm/notified", "write",
                "/dev/shm/plain", runtime=rt)
    a.join(timeout=35)
    assert a.error is None, a.error
    assert arcatest.check(rep, "mkdir", "/dev/shm/notified")["result"] == "EXDEV"
    assert arcatest.check(rep, "write", "/dev/shm/plain")["result"] == "ok"
    s = a.state
    assert a.nfds == [1] and s["fds"] == ["seccompFd"]
    assert s["metadata"] == "agent-metadata"
    assert set(s) == {"ociVersion", "fds", "pid", "metadata", "state"}
    assert s["state"]["id"] == rep["_id"]
    assert s["state"]["bundle"] == rep["_bundle"]
    assert s["state"]["status"] == "creating"  # as runc 1.1 says
    assert s["state"]["pid"] == s["pid"]
    # The notification came from the container's init (the probe), seen from the host.
    assert a.syscalls and all(pid == s["pid"] for _, pid in a.syscalls)


@pytest.mark.parametrize("runtime", ["rt", "ref"])
def test_notify_without_metadata_omits_it(probe, request, agent, runtime):
    rt = request.getfixturevalue(runtime)
    a = agent()
    probe(notify_mkdir(a.path, metadata=""), runtime=rt)
    a.join(timeout=35)
    assert a.error is None, a.error
    assert "metadata" not in a.state


@pytest.mark.arca_only
def test_notify_without_listener_path_names_it(run_container):
    def mutate(b):
        notify_mkdir("")(b)
        del b.linux["seccomp"]["listenerPath"]
    p = run_container(mutate, ["/probe"])
    assert p.returncode != 0
    assert "listenerPath" in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


@pytest.mark.arca_only
def test_notify_with_absent_listener_fails_and_leaves_nothing(rt, make_bundle, session_dir):
    missing = os.path.join(session_dir, "no-agent-here.sock")
    b = make_bundle(notify_mkdir(missing))
    cid = arcatest.new_id()
    p = rt.run(cid, b)
    assert p.returncode != 0
    assert f'seccomp listener "{missing}": connect: No such file or directory' in p.stderr
    assert rt.state(cid) is None
    assert arcatest.leaked_pids(cid) == []


@pytest.mark.parametrize("runtime", ["rt", "ref"])
def test_notify_for_an_exec_process(make_bundle, request, agent, runtime):
    """`exec` loads the container's filter for its process too: a second listener fd
    reaches the agent, with the process's pid and the running container's state."""
    rt = request.getfixturevalue(runtime)
    a = agent(connections=2)

    def mutate(b):
        notify_mkdir(a.path)(b)
        b.set_args("sleep", "30")
    b = make_bundle(mutate)
    cid = arcatest.new_id()
    assert rt.run_detached(cid, b).returncode == 0
    init = rt.state(cid)["pid"]
    p = rt.cmd("exec", cid, "/probe", "mkdir", "/dev/shm/by-exec")
    rt.kill(cid, "KILL")
    a.join(timeout=35)
    assert p.returncode == 0, p.stderr
    assert a.errors == [], a.errors
    rep = arcatest.parse_probe(p.stdout)
    assert arcatest.check(rep, "mkdir", "/dev/shm/by-exec")["result"] == "EXDEV"
    assert len(a.states) == 2 and a.nfds == [1, 1]
    first, second = a.states
    assert first["pid"] == init and first["state"]["status"] == "creating"
    assert second["fds"] == ["seccompFd"] and second["metadata"] == "agent-metadata"
    assert second["state"]["id"] == cid and second["state"]["pid"] == init
    assert second["state"]["status"] == "running"
    assert second["pid"] != init
    assert all(pid == second["pid"] for _, pid in a.syscalls)
