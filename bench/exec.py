#!/usr/bin/env python3
"""bench/exec.py - cost of `RUNTIME exec ID /bin/true` for arca, crun and runc.

Target of issue 6: arca's exec wall time <= 0.5 x crun's (median of the
per-round ratios).

Each runtime starts one container (`run -d`, init `sleep`, the default config
of `arca spec` / `runc spec` on a busybox-static rootfs, built by
bench/startup.py's build_bundle), then N rounds (after a few warm-up rounds)
each run `RUNTIME exec ID CMD` once per runtime, the order rotated every round.
Per run: wall time of fork+exec+wait4 of the runtime process, and CPU time
(user+sys of the runtime and the children it reaped: its helper processes and
CMD itself).

Cgroups: the script re-executes itself in a private mount namespace in which
a scratch tmpfs covers the hybrid host's cgroup2 'unified' mount (crun 1.8
fails on this host otherwise). startbench's tighter jail (only our memory
cgroup) does not work for exec: crun's exec reads the container's
freezer.state. So every
runtime creates its container's cgroups as it does by default (no
cgroupsPath: below the caller's cgroup in each v1 hierarchy), and every exec
joins all of them (arca, crun and runc alike: about ten v1 hierarchies here).

Nothing is left behind: the containers are deleted with `delete -f` (which
removes their cgroups; any cgroup directory named after a bench container that
is still there is removed too), the temp dir under /var/tmp is removed, and
the unmount exists only in the private mount namespace.

Usage (root): ARCA_BIN=/path/to/arca python3 bench/exec.py [-n 100] [--warmup 5]
              [--cmd /bin/true] [--crun crun] [--runc runc] [--json FILE]
(startup.py supplies the bundle; STARTBENCH is not needed.)
Exit status: 0 target met, 1 missed, 2 could not measure.
"""
import argparse
import copy
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
JAIL_ENV = 'ARCA_EXEC_BENCH_JAILED'
TARGET_RATIO_CRUN = 0.5


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


startup = load('startup', os.path.join(HERE, 'startup.py'))
log, die = startup.log, startup.die


CG = '/sys/fs/cgroup'


def hide_unified():
    """In our private mount namespace: no cgroup2 'unified' mount (crun 1.8 needs that).
    A scratch tmpfs takes its place: crun writes a cgroup.procs there anyway, which must
    go away with the namespace rather than land in the host's /sys/fs/cgroup tmpfs."""
    if os.path.ismount(CG + '/unified'):
        subprocess.run(['umount', '-l', CG + '/unified'], check=True)
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=256k,mode=755', 'arca-exec-bench',
                        CG + '/unified'], check=True)


def remove_leftover_cgroups(cid):
    for ctrl in os.listdir(CG):
        if ctrl == 'unified':  # the scratch tmpfs
            continue
        for dirpath, dirnames, _ in os.walk(os.path.join(CG, ctrl)):
            if os.path.basename(dirpath) == cid:
                try:
                    os.rmdir(dirpath)
                    log('  removed leftover cgroup %s' % dirpath)
                except OSError as e:
                    log('  warning: could not remove %s: %s' % (dirpath, e))
                dirnames[:] = []
            elif dirpath.count('/') > 7:
                dirnames[:] = []


class Rt:
    def __init__(self, name, path, workdir, extra):
        self.name, self.path = name, path
        self.state = os.path.join(workdir, 'state-' + name)
        os.makedirs(self.state)
        self.argv = [path] + extra + ['--root', self.state]
        self.cid = 'eb%d-%s' % (os.getpid(), name)
        self.wall, self.cpu, self.fails = [], [], 0


def start_container(rt, tmpl, workdir, devnull, errfd):
    d = os.path.join(workdir, rt.cid)
    os.mkdir(d)
    c = copy.deepcopy(tmpl)
    c['process']['args'] = ['sleep', '1000000']
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(c, f)
    p = subprocess.run(rt.argv + ['run', '-d', '-b', d, rt.cid], stdin=devnull, stdout=devnull,
                       stderr=errfd, timeout=60)
    if p.returncode != 0:
        raise RuntimeError('%s run -d failed (rc %d)' % (rt.name, p.returncode))


def stop_container(rt, devnull, errfd):
    subprocess.run(rt.argv + ['delete', '-f', rt.cid], stdin=devnull, stdout=devnull,
                   stderr=errfd, timeout=60)
    remove_leftover_cgroups(rt.cid)


def summary(xs):
    s = sorted(xs)
    return 'median %7.2f ms  p10 %7.2f  p90 %7.2f' % (
        statistics.median(s), startup.pct(s, 10), startup.pct(s, 90))


def rounds(o, rts, errfd, devnull, libc):
    """The measured rounds; returns the per-round wall-time ratios arca/crun, arca/runc."""
    ratios = {'crun': [], 'runc': []}
    for i in range(-o.warmup, o.n):
        k = i % len(rts)
        walls = {}
        for rt in rts[k:] + rts[:k]:
            rc, cpu, wall = startup.run_plain(rt.argv + ['exec', rt.cid] + o.cmd.split(),
                                              errfd, devnull, libc)
            if rc != 0:
                rt.fails += i >= 0
                continue
            walls[rt.name] = wall
            if i >= 0:
                rt.wall.append(wall)
                rt.cpu.append(cpu)
        if i >= 0 and 'arca' in walls:
            for other in ratios:
                if other in walls:
                    ratios[other].append(walls['arca'] / walls[other])
    return ratios


def measure(o):
    hide_unified()
    workdir = tempfile.mkdtemp(prefix='arca-exec-bench-', dir='/var/tmp')
    errlog = os.path.join(workdir, 'stderr.log')
    errfd = os.open(errlog, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDWR)
    libc = startup.libc_ptrace()
    rts = [Rt('arca', o.arca, workdir, []), Rt('crun', o.crun, workdir, []),
           Rt('runc', o.runc, workdir, [])]
    failure = None
    try:
        bundle, source = startup.build_bundle(workdir, o.arca, o.runc, o.oci_version)
        with open(os.path.join(bundle, 'config.json')) as f:
            tmpl = json.load(f)
        tmpl['root']['path'] = os.path.join(bundle, tmpl['root'].get('path', 'rootfs'))
        for rt in rts:
            start_container(rt, tmpl, workdir, devnull, errfd)
        ratios = rounds(o, rts, errfd, devnull, libc)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        failure = str(e)
    finally:
        for rt in rts:
            stop_container(rt, devnull, errfd)
        os.close(errfd)
        with open(errlog) as f:
            errors = f.read().strip().splitlines()[-8:]
        shutil.rmtree(workdir, ignore_errors=True)
    if failure:
        die('%s\n  ' % failure + '\n  '.join(errors))
    return rts, ratios, errors, source


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('-n', type=int, default=100, help='measured rounds (default 100)')
    ap.add_argument('--warmup', type=int, default=5, help='discarded warm-up rounds (default 5)')
    ap.add_argument('--arca', default=os.environ.get('ARCA_BIN', startup.DEFAULT_ARCA))
    ap.add_argument('--crun', default='crun')
    ap.add_argument('--runc', default='runc')
    ap.add_argument('--cmd', default='/bin/true', help='command exec runs (default /bin/true)')
    ap.add_argument('--oci-version', default='1.0.2-dev',
                    help='ociVersion of the bundle config (crun 1.8.1 rejects 1.2.0)')
    ap.add_argument('--json', help='also write the raw numbers to this file')
    o = ap.parse_args()
    if os.geteuid() != 0:
        die('must run as root')
    o.arca, o.crun, o.runc = (startup.resolve(x) for x in (o.arca, o.crun, o.runc))
    if os.environ.get(JAIL_ENV) != '1':
        env = dict(os.environ, **{JAIL_ENV: '1'})
        os.execvpe('unshare', ['unshare', '-m', '--propagation', 'private', sys.executable,
                               os.path.abspath(__file__)] + sys.argv[1:], env)

    log('exec bench: n=%d (+%d warm-up) rounds, cmd=%s' % (o.n, o.warmup, o.cmd))
    for name in ('arca', 'crun', 'runc'):
        log('  %s = %s [%s]' % (name, getattr(o, name), startup.version(getattr(o, name))))
    log('  load average before: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))
    rts, ratios, errors, source = measure(o)
    log('  config: `%s spec`, init sleep; load average after: %s' % (
        source, ' '.join(open('/proc/loadavg').read().split()[:3])))
    for rt in rts:
        if rt.wall:
            log('%-5s wall %s   cpu median %6.2f ms   fails %d' % (
                rt.name, summary(rt.wall), statistics.median(rt.cpu), rt.fails))
        else:
            log('%-5s no successful exec' % rt.name)
    if any(rt.fails for rt in rts):
        log('last runtime errors:\n  ' + '\n  '.join(errors))
    if o.json:
        with open(o.json, 'w') as f:
            json.dump({'ratios': ratios, 'runtimes': {rt.name: {
                'wall': rt.wall, 'cpu': rt.cpu, 'fails': rt.fails} for rt in rts}}, f)
    if not ratios['crun']:
        log('ratio arca/crun = nan')
        return 2
    r_crun = round(statistics.median(ratios['crun']), 2)
    log('ratio arca/crun = %.2f' % r_crun)
    if ratios['runc']:
        log('ratio arca/runc = %.2f' % statistics.median(ratios['runc']))
    ok = r_crun <= TARGET_RATIO_CRUN
    log('%s  exec wall time arca/crun = %.2f (target <= %.2f)' % (
        'PASS' if ok else 'FAIL', r_crun, TARGET_RATIO_CRUN))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
