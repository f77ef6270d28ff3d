"""Normaliser for probe reports, used by the differential tests.

Two runtimes given the same config must produce the same normalised report.
Everything that may legitimately differ between two correct runtimes (or
between two runs) is rewritten or dropped here, and listed in IGNORED with
the reason.  Anything not listed is compared exactly.
"""
import copy
import re

IGNORED = {
    "_bundle, _id": "test bookkeeping (bundle dir and container id differ per run); "
                    "their values are also replaced by <bundle>/<id> in every string",
    "ns.*": "namespace inode numbers differ per container; each is reduced to "
            "'host' (same inode as the test process) or 'private'",
    "mounts[].id, mounts[].parent": "mount ids depend on allocation order",
    "mounts[].optional": "peer-group numbers (shared:N, master:N) are allocated by the "
                         "kernel; only the kind (shared/master/propagate_from/unbindable) is kept",
    "mounts[] of fstype cgroup/cgroup2: root, source": "the container's cgroup path is the "
                                                       "runtime's choice when cgroupsPath is "
                                                       "omitted; the source name is free text",
    "mounts[] masking a file (root '/null')": "which /dev/null is bind-mounted over a masked "
                                              "file (container /dev tmpfs or host devtmpfs) is an "
                                              "implementation detail; reduced to 'masked-file'",
    "mounts order": "sorted by mountpoint (stable, so stacked mounts keep their relative order): "
                    "the order of independent mounts is not observable semantics",
    "fds values pipe:[N] / socket:[N] / anon_inode": "inode numbers differ per run; "
                                                      "reduced to the kind",
    "fds 0-2 kinds": "runc relays a foreground run's stdio through pipes of its own; arca "
                     "hands the caller's fds to the container unchanged (cheaper, and what "
                     "crun does); only their presence is compared",
    "mounts below /sys/fs/cgroup": "the cgroup v1 layout is the runtime's: runc leaves the "
                                   "tmpfs rw despite the config's 'ro' and omits the hybrid "
                                   "'unified' hierarchy; arca honours 'ro' and shows it. "
                                   "Compared: the set of v1 controllers mounted",
    "cgroup": "contents of /proc/self/cgroup depend on the runtime's default cgroup placement",
    "checks[].data of /proc/self/mountinfo, /proc/*/cgroup": "same reasons as mounts/cgroup",
}


def _kind(target):
    m = re.match(r"^(pipe|socket|anon_inode):", target)
    return m.group(1) if m else target


def _subst(value, repl):
    if isinstance(value, str):
        for old, new in repl:
            if old:
                value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_subst(v, repl) for v in value]
    if isinstance(value, dict):
        return {k: _subst(v, repl) for k, v in value.items()}
    return value


def normalise(report, host_ns):
    """Returns a normalised deep copy of a probe report.

    host_ns: {name: "net:[...]"} of the test process (arcatest.host_ns()).
    """
    r = copy.deepcopy(report)
    bundle = r.pop("_bundle", None)
    cid = r.pop("_id", None)
    repl = [(bundle, "<bundle>"), (cid, "<id>")]
    r = _subst(r, repl)

    r["ns"] = {k: ("host" if host_ns.get(k) == v else "private") for k, v in r["ns"].items()}

    mounts = []
    for m in r["mounts"]:
        m = dict(m)
        m.pop("id", None)
        m.pop("parent", None)
        m["optional"] = sorted({o.split(":")[0] for o in m["optional"]})
        if m["fstype"] in ("cgroup", "cgroup2"):
            m["root"] = "<cgroup>"
            m["source"] = "<cgroup>"
        if m["mountpoint"] == "/sys/fs/cgroup":
            m = {"mountpoint": m["mountpoint"], "kind": "cgroup-tmpfs"}
        elif m["mountpoint"] == "/sys/fs/cgroup/unified":
            continue
        if m.get("root") == "/null":
            m = {"mountpoint": m["mountpoint"], "kind": "masked-file"}
        mounts.append(m)
    r["mounts"] = sorted(mounts, key=lambda m: m["mountpoint"])

    r["fds"] = {k: ("stdio" if k in ("0", "1", "2") else _kind(v)) for k, v in r["fds"].items()}
    r.pop("cgroup", None)
    for c in r.get("checks", []):
        if c.get("path") in ("/proc/self/mountinfo", "/proc/self/cgroup", "/proc/1/cgroup"):
            c.pop("data", None)
    return r


def diff(a, b, path=""):
    """Human readable list of differences between two normalised reports."""
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: missing on the left, right={b[k]!r}")
            elif k not in b:
                out.append(f"{path}.{k}: left={a[k]!r}, missing on the right")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
    elif isinstance(a, list) and isinstance(b, list):
        rest_b = list(b)
        only_a = []
        for x in a:
            if x in rest_b:
                rest_b.remove(x)
            else:
                only_a.append(x)
        rest_a = list(a)
        for y in b:
            if y in rest_a:
                rest_a.remove(y)
        only_b = [y for y in rest_b]
        out.append(f"{path}: only left={only_a!r} only right={only_b!r}")
    elif a != b:
        out.append(f"{path}: left={a!r} right={b!r}")
    return out
