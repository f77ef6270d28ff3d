"""seccomp: the filter from linux.seccomp is compiled by arca and loaded in the init.

Compared with runc where both must behave alike (a denied syscall fails with the
configured errno, the probe sees seccomp mode 2), with and without noNewPrivileges.
"""
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
