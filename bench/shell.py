#!/usr/bin/env python3
"""bench/shell.py - what `arca shell` costs on top of `arca run`, and image import.

Two measurements, against the targets of the shell issue:

1. `arca shell --rootfs IMG -- true` on a cached image vs `arca run` of a bundle whose
   rootfs is that same cached root (the bundle's config is `arca spec`'s with
   args=/bin/true, terminal=false): N interleaved pairs, wall time per pair, the median
   of the per-pair ratios shell/run.                      target: <= 1.5
   The shell's extra work is the scratch dir, a private mount namespace with the
   overlay, the image cache lookup and the clean-up.
2. Import of a ~3 MB tarball (the built-in root plus incompressible filler, gzip'd):
   `arca shell --rootfs X.tar.gz -- true` with an empty cache, minus a cached run of the
   same; CPU = user+sys of arca and everything it reaped (wait4 rusage).
                                                           target: well under 1 s CPU

Prints one table and a PASS/FAIL line per target; exit 0 when both are met, 1 when one
is missed. Standard library only; run as root:

    ARCA_BIN=/tmp/build/arca python3 bench/shell.py [-n 30]

Nothing is left behind: everything lives in one temp dir (state root, cache, bundle),
removed at the end; the shells clean up after themselves.
"""
import argparse
import gzip
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

TARGET_RATIO = 1.5
TARGET_IMPORT_CPU_S = 1.0


def default_arca():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("ARCA_BIN") or os.path.join(os.path.dirname(here), "build", "arca")


def timed(argv, env):
    """Runs argv; returns (wall seconds, cpu seconds of it and its reaped children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime


def make_tarball(path, builtin_root, size=3 << 20):
    """The built-in root plus random filler, gzip'd to about `size` bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        tf.add(builtin_root, arcname=".")
        filler = os.urandom(size - (1 << 20))  # busybox compresses to about 1 MB
        info = tarfile.TarInfo("usr/share/filler")
        info.size = len(filler)
        tf.addfile(info, io.BytesIO(filler))
    with open(path, "wb") as f:
        f.write(gzip.compress(buf.getvalue(), 6))
    return os.path.getsize(path)


def make_bundle(arca, bundle, rootfs, env):
    os.makedirs(bundle)
    subprocess.run([arca, "spec", "--bundle", bundle], check=True, env=env)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["process"]["args"] = ["/bin/true"]
    config["process"]["terminal"] = False
    config["root"] = {"path": rootfs, "readonly": True}
    with open(path, "w") as f:
        json.dump(config, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=30, help="pairs (default 30)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--arca", default=default_arca())
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: must run as root")
    arca = os.path.abspath(args.arca)
    builtin = os.path.join(os.path.dirname(arca), "share", "arca", "rootfs")
    if not os.path.isdir(builtin):
        sys.exit(f"bench: no built-in root at {builtin} (build arca first)")

    work = tempfile.mkdtemp(prefix="arca-shell-bench-", dir="/var/tmp")
    try:
        env = dict(os.environ, ARCA_CACHE_DIR=os.path.join(work, "cache"))
        root = os.path.join(work, "state")
        tarball = os.path.join(work, "root.tar.gz")
        size = make_tarball(tarball, builtin)
        shell = [arca, "--root", root, "shell", "--rootfs", tarball, "--", "/bin/true"]

        # 2. import: empty cache vs cached, several times.
        imports = []
        for _ in range(5):
            shutil.rmtree(os.path.join(work, "cache"), ignore_errors=True)
            _, cold = timed(shell, env)
            _, warm = timed(shell, env)
            imports.append(cold - warm)
        entries = os.listdir(os.path.join(work, "cache", "images", "sha256"))
        cached_root = os.path.join(work, "cache", "images", "sha256", entries[0], "rootfs")

        # 1. shell vs run of the same root, interleaved.
        bundle = os.path.join(work, "bundle")
        make_bundle(arca, bundle, cached_root, env)
        run = [arca, "--root", root, "run", "--bundle", bundle]
        ratios, shell_wall, run_wall, shell_cpu, run_cpu = [], [], [], [], []
        for i in range(args.warmup + args.n):
            order = [("shell", shell), ("run", run + [f"bench-{i}"])]
            if i % 2:
                order.reverse()
            got = {name: timed(argv, env) for name, argv in order}
            if i < args.warmup:
                continue
            ratios.append(got["shell"][0] / got["run"][0])
            shell_wall.append(got["shell"][0])
            run_wall.append(got["run"][0])
            shell_cpu.append(got["shell"][1])
            run_cpu.append(got["run"][1])
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", work])

    ms = lambda xs: f"{statistics.median(xs) * 1000:7.1f} ms"
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    # Wall time on a loaded host is mostly waiting for a CPU at every preemption point,
    # so it scales with load; CPU time does not. Both are shown.
    print(f"host load average {load} on {os.cpu_count()} CPUs")
    print(f"{'':28} {'wall (median)':>14} {'CPU (median)':>14}")
    print(f"{'arca run  (true)':28} {ms(run_wall):>14} {ms(run_cpu):>14}")
    print(f"{'arca shell (true, cached)':28} {ms(shell_wall):>14} {ms(shell_cpu):>14}")
    print(f"import of a {size / 1e6:.1f} MB tarball: CPU median {ms(imports)}, "
          f"max {max(imports) * 1000:.1f} ms ({len(imports)} runs)")
    cpu_ratio = statistics.median(shell_cpu) / statistics.median(run_cpu)
    print(f"shell/run CPU ratio {cpu_ratio:.2f} (medians)")
    ratio = statistics.median(ratios)
    ok_ratio = ratio <= TARGET_RATIO
    ok_import = statistics.median(imports) < TARGET_IMPORT_CPU_S
    print(f"{'PASS' if ok_ratio else 'FAIL'}: shell/run wall ratio {ratio:.2f} "
          f"(median of {len(ratios)} pairs; target <= {TARGET_RATIO})")
    print(f"{'PASS' if ok_import else 'FAIL'}: import CPU {statistics.median(imports):.3f} s "
          f"(target < {TARGET_IMPORT_CPU_S} s)")
    return 0 if ok_ratio and ok_import else 1


if __name__ == "__main__":
    sys.exit(main())
