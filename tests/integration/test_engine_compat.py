"""What container engines rely on beyond the spec's letter, found by driving the runtime
with real Podman and containerd (tests/engines): each test holds for runc too."""
import pytest

from arcatest import new_id


def test_kill_all_of_a_stopped_container_succeeds(rt, make_bundle):
    # containerd-shim-runc-v2 sends `kill --all ID 9` after every init exit and logs an
    # error when it fails; runc signals what is left in the cgroup and exits 0.
    cid = new_id()
    b = make_bundle(lambda b: b.set_args("true"))
    assert rt.create(cid, b).returncode == 0
    assert rt.start(cid).returncode == 0
    assert rt.wait_status(cid, "stopped") == "stopped"
    p = rt.kill(cid, "KILL", "--all")
    assert p.returncode == 0, p.stderr
    p = rt.kill(cid, "KILL")  # without --all a stopped container is still an error
    assert p.returncode != 0
    assert rt.delete(cid).returncode == 0


def _deny_all_devices(b):
    b.linux["resources"] = {"devices": [{"allow": False, "access": "rwm"}]}
    # A node the default rules do not allow (c 1:11, /dev/kmsg), to see the cgroup bite.
    b.linux["devices"] = [{"path": "/dev/kmsg-test", "type": "c", "major": 1, "minor": 11,
                           "fileMode": 0o644, "uid": 0, "gid": 0}]


@pytest.mark.parametrize("device,works", [
    ("/dev/null", True), ("/dev/zero", True), ("/dev/urandom", True), ("/dev/full", True),
    ("/dev/kmsg-test", False),
])
def test_default_devices_stay_usable_after_deny_all(run_container, device, works):
    # Podman sends only {"allow": false, "access": "rwm"} and relies on the runtime allowing
    # the spec's default devices after it, as runc and crun do.
    script = f"head -c 1 {device} >/dev/null 2>&1 && echo opened || echo refused"
    if device == "/dev/null":
        script = "echo x > /dev/null && echo opened || echo refused"
    p = run_container(lambda b: (_deny_all_devices(b), b.set_args("sh", "-c", script)))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == ("opened" if works else "refused"), p.stdout + p.stderr


@pytest.mark.parametrize("all_flag", [False, True])
def test_sigkill_to_a_paused_container_kills_it(rt, make_bundle, all_flag):
    # Podman's `rm -f` and containerd's kill of a paused task send just SIGKILL and wait;
    # a frozen cgroup v1 task dies only once thawed, so runc thaws on SIGKILL.
    cid = new_id()
    b = make_bundle(lambda b: b.set_args("sleep", "1000"))
    assert rt.run_detached(cid, b).returncode == 0
    assert rt.cmd("pause", cid).returncode == 0
    assert rt.status(cid) == "paused"
    p = rt.kill(cid, "KILL", *(["--all"] if all_flag else []))
    assert p.returncode == 0, p.stderr
    assert rt.wait_status(cid, "stopped") == "stopped"
    assert rt.delete(cid).returncode == 0
