"""Podman-only paths into the runtime: update, state (ps --sync), restart."""
import json

import pytest

import hostcheck

MiB = 1024 * 1024


@pytest.fixture
def pod(podman):
    yield podman
    podman.cleanup()


def test_update_memory(pod):
    name = pod.start(memory=64 * MiB)
    p = pod.cmd("update", "--memory", f"{96 * MiB}b", name)
    assert p.returncode == 0, p.stderr
    limit = hostcheck.cgroup_file(pod.pid(name), "memory", "memory.limit_in_bytes")
    assert int(limit) == 96 * MiB


def test_ps_sync_reads_runtime_state(pod):
    name = pod.start()
    assert pod.pause(name).returncode == 0
    p = pod.cmd("ps", "--all", "--sync", "--format", "json", "--filter", f"name={name}")
    assert p.returncode == 0, p.stderr
    assert [c["State"] for c in json.loads(p.stdout)] == ["paused"]
    assert pod.resume(name).returncode == 0
    p = pod.cmd("ps", "--all", "--sync", "--format", "json", "--filter", f"name={name}")
    assert [c["State"] for c in json.loads(p.stdout)] == ["running"]


def test_restart(pod):
    name = pod.start()
    first = pod.pid(name)
    p = pod.cmd("restart", "--time", "5", name)
    assert p.returncode == 0, p.stderr
    assert pod.status(name) == "running"
    assert pod.pid(name) != first
