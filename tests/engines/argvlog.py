"""The runtime calls an engine made (logged by the wrapper script), reduced to what tells us
which verbs and flags the runtime must support: ids, paths and other values are dropped."""
import collections
import os

# runc flags that take a value (global and per verb), so the value is not taken for the verb
# or an operand. Values of the flags in KEEP_VALUE are shown (they select behaviour).
VALUE_FLAGS = {
    "root", "log", "log-format", "criu", "rootless",
    "bundle", "b", "console-socket", "pid-file", "preserve-fds", "console", "cwd", "env", "e",
    "user", "u", "additional-gids", "g", "process", "p", "apparmor", "process-label", "cap",
    "c", "format", "f", "resources", "r", "interval", "image-path", "work-path",
    "parent-path", "page-server", "manage-cgroups-mode", "empty-ns", "status-fd",
    "blkio-weight", "cpu-period", "cpu-quota", "cpu-share", "cpu-rt-period", "cpu-rt-runtime",
    "cpuset-cpus", "cpuset-mems", "kernel-memory", "kernel-memory-tcp", "memory",
    "memory-reservation", "memory-swap", "pids-limit", "l3-cache-schema", "mem-bw-schema",
}
KEEP_VALUE = {"log-format", "format", "f"}


def read(path):
    """[(status, [argv...]), ...] from a wrapper log (missing file: [])."""
    if not os.path.exists(path):
        return []
    res = []
    with open(path) as f:
        for line in f:
            rc, _, argv = line.rstrip("\n").partition("\t")
            res.append((int(rc) if rc.lstrip("-").isdigit() else rc, argv.split()))
    return res


def signature(argv):
    """'--log-format=json create --bundle --pid-file' for one call."""
    out, operands, i = [], [], 0
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok.startswith("-") and tok != "-":
            name, eq, value = tok.lstrip("-").partition("=")
            has_value = bool(eq)
            if not has_value and name in VALUE_FLAGS and i < len(argv):
                value, has_value = argv[i], True
                i += 1
            shown = "-" * (len(tok) - len(tok.lstrip("-"))) + name
            out.append(f"{shown}={value}" if has_value and name in KEEP_VALUE else shown)
        elif not operands:
            operands.append(tok)
            out.append(tok)  # the verb
        else:
            operands.append(tok)
    if operands[:1] == ["kill"] and len(operands) >= 3:
        out.append(f"<signal {operands[-1]}>")  # kill ID SIGNAL: the signal matters
    return " ".join(out)


def summarize(lines):
    """One line per distinct signature: count, exit statuses seen, signature."""
    calls = collections.OrderedDict()
    for rc, argv in lines:
        sig = signature(argv)
        calls.setdefault(sig, collections.Counter())[rc] += 1
    res = []
    for sig, rcs in sorted(calls.items(), key=lambda kv: _verb_of(kv[0])):
        statuses = ",".join(f"{rc}" + (f"x{n}" if len(rcs) > 1 else "")
                            for rc, n in sorted(rcs.items(), key=lambda x: str(x[0])))
        res.append(f"{sum(rcs.values()):4}x  exit {statuses:<10} {sig}")
    return res


def _verb_of(sig):
    words = [w for w in sig.split() if not w.startswith("-")]
    return (words[0] if words else "", sig)


def keep(directory, engine, lines):
    """Writes the raw log to directory/argv-ENGINE.log (when a directory is given)."""
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"argv-{engine}.log"), "w") as f:
        for rc, argv in lines:
            f.write(f"{rc}\t{' '.join(argv)}\n")
