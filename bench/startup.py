#!/usr/bin/env python3
"""bench/startup.py - start-up cost of arca against crun and runc.

Measures `RUNTIME run` of /bin/true in a busybox-static bundle and checks the
start-up targets of our issue:

    wall time   arca <= 0.5 x crun      (median per-pair ratio, startbench)
    CPU time    arca <= 15 ms per run   (median, user+sys of the process tree)
    peak RSS    arca <= 2 MiB           (median VmHWM of the runtime process)

Two phases:

1. Wall-time ratios: ../shared/tools/startbench.py is run twice, arca vs crun
   and arca vs runc (-n N pairs, interleaved), on the bundle built here; its
   `ratio A/B = X.XX` lines are reported.

2. CPU and peak RSS: the script re-executes itself inside the same cgroup jail
   startbench uses (a private mount namespace whose /sys/fs/cgroup has only
   our own memory cgroup writable and no cgroup2 'unified' mount, which crun
   1.8 needs on this hybrid host; startbench's own jail code is imported, not
   copied). N rounds, the order of the three runtimes rotated every round;
   every round each runtime does two runs:
     - a plain run: CPU = ru_utime + ru_stime from wait4() of the runtime
       process, i.e. the runtime plus every descendant it reaped (its
       container init, /bin/true, runc's `runc init`, ...);
     - a traced run: the runtime is started under ptrace with only
       PTRACE_O_TRACEEXIT (no syscall tracing), and at its exit event its
       /proc/PID/status VmHWM is read. That is the high-water RSS of the
       runtime's *own* address space since its exec. ru_maxrss is not used:
       the kernel folds the pre-exec address space (here: the Python parent)
       and every reaped child (busybox) into it.

Nothing is left behind: every run uses a unique id and a private --root under
one temp dir; leftover state is deleted with `delete -f`, leftover cgroups are
removed, and the temp dir is removed at the end. Mounts exist only in the
private mount namespaces.

Standard library only. Must run as root.
"""
import argparse
import copy
import ctypes
import importlib.util
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_ARCA = '/work/main/build/arca'
DEFAULT_STARTBENCH = os.path.join(os.path.dirname(REPO), 'shared', 'tools', 'startbench.py')
MEASURE_ENV = 'ARCA_STARTUP_BENCH_JAILED'

TARGET_RATIO_CRUN = 0.5
TARGET_CPU_MS = 15.0
TARGET_RSS_KIB = 2048

# ptrace(2)
PTRACE_TRACEME = 0
PTRACE_SYSCALL = 24
PTRACE_SETOPTIONS = 0x4200
PTRACE_O_TRACESYSGOOD = 0x1
PTRACE_O_TRACEEXEC = 0x10
PTRACE_O_TRACEEXIT = 0x40
PTRACE_EVENT_EXEC = 4
PTRACE_O_EXITKILL = 0x100000
PTRACE_EVENT_EXIT = 6


def log(msg):
    print(msg, flush=True)


def die(msg, code=2):
    print('startup.py: ' + msg, file=sys.stderr, flush=True)
    sys.exit(code)


def load_startbench(path):
    spec = importlib.util.spec_from_file_location('startbench', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def pct(xs, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def resolve(binary):
    path = shutil.which(binary) if os.sep not in binary else os.path.abspath(binary)
    if not path or not os.access(path, os.X_OK):
        die('runtime %r not found or not executable' % binary)
    return path


def version(path):
    try:
        v = subprocess.run([path, '--version'], capture_output=True, text=True, timeout=30)
        return (v.stdout or v.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return '?'


# ------------------------------------------------------------------ bundle
def build_bundle(workdir, arca, runc, oci_version):
    """busybox rootfs + the default config of `arca spec` (or `runc spec`)."""
    bb = None
    for cand in ('/bin/busybox', '/usr/bin/busybox', shutil.which('busybox')):
        if cand and os.path.exists(cand):
            bb = os.path.realpath(cand)
            break
    if not bb:
        die('busybox not found (apt-get install busybox-static)')
    bundle = os.path.join(workdir, 'bundle')
    r = os.path.join(bundle, 'rootfs')
    for d in ('bin', 'etc', 'proc', 'sys', 'dev', 'tmp'):
        os.makedirs(os.path.join(r, d))
    os.chmod(os.path.join(r, 'tmp'), 0o1777)
    shutil.copy2(bb, os.path.join(r, 'bin', 'busybox'))
    applets = subprocess.run([os.path.join(r, 'bin', 'busybox'), '--list'],
                             capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        if a != 'busybox':
            os.symlink('busybox', os.path.join(r, 'bin', a))
    with open(os.path.join(r, 'etc', 'passwd'), 'w') as f:
        f.write('root:x:0:0:root:/root:/bin/sh\n')
    with open(os.path.join(r, 'etc', 'group'), 'w') as f:
        f.write('root:x:0:\n')
    source = None
    for name, rt in (('arca', arca), ('runc', runc)):
        p = subprocess.run([rt, 'spec'], cwd=bundle, capture_output=True, text=True)
        if p.returncode == 0 and os.path.exists(os.path.join(bundle, 'config.json')):
            source = name
            break
        log('  note: `%s spec` failed (rc %d): %s' % (name, p.returncode, p.stderr.strip()[:200]))
    if not source:
        die('could not write a default config.json')
    with open(os.path.join(bundle, 'config.json')) as f:
        cfg = json.load(f)
    cfg['process']['args'] = ['/bin/true']
    cfg['process']['terminal'] = False
    cfg.setdefault('linux', {}).pop('resources', None)
    cfg['linux'].pop('cgroupsPath', None)
    old = cfg.get('ociVersion')
    if oci_version and old != oci_version:
        # crun 1.8.1 refuses `arca spec`'s "1.2.0" with "unknown version specified"
        cfg['ociVersion'] = oci_version
        log('  note: ociVersion %s of `%s spec` replaced by %s (crun 1.8.1 rejects %s)' % (
            old, source, oci_version, old))
    with open(os.path.join(bundle, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
    return bundle, source


# ------------------------------------------------------------------ phase 1
def run_startbench(startbench, a, b, bundle, n, warmup):
    argv = [sys.executable, startbench, a, b, bundle, '-n', str(n), '--warmup', str(warmup),
            '--max-ratio', '1000']
    log('$ ' + ' '.join(argv))
    p = subprocess.run(argv, capture_output=True, text=True)
    out = p.stdout + p.stderr
    for line in out.strip().splitlines():
        log('    ' + line)
    m = re.search(r'^ratio A/B = (\S+)$', p.stdout, re.M)
    ratio = float(m.group(1)) if m and m.group(1) != 'nan' else float('nan')
    # on failures startbench keeps its work dir for the error log: remove it
    k = re.search(r'kept in (/var/tmp/startbench-[^/\s]+)/stderr\.log', p.stdout)
    if k and os.path.isdir(k.group(1)):
        shutil.rmtree(k.group(1), ignore_errors=True)
    return ratio


# ------------------------------------------------------------------ phase 2
class Rt:
    def __init__(self, name, path, state, cg_abs, extra):
        self.name, self.path, self.state, self.cg_abs = name, path, state, cg_abs
        self.argv = [path] + extra + ['--root', state]
        os.makedirs(state)
        self.cpu, self.wall, self.hwm, self.fails, self.execs = [], [], [], 0, 0


def libc_ptrace():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    return libc


def spawn(argv, errfd, devnull, trace, libc):
    pid = os.fork()
    if pid == 0:                                      # child
        try:
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            os.dup2(errfd, 2)
            if trace and libc.ptrace(PTRACE_TRACEME, 0, None, None) != 0:
                os._exit(126)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    return pid


def run_plain(argv, errfd, devnull, libc):
    t0 = time.perf_counter_ns()
    pid = spawn(argv, errfd, devnull, False, libc)
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - t0) / 1e6
    return os.waitstatus_to_exitcode(status), (ru.ru_utime + ru.ru_stime) * 1000.0, wall


def read_hwm(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return None


EXEC_NRS = {'x86_64': ('59', '322'), 'aarch64': ('221', '281')}.get(os.uname().machine, ())


def run_traced(argv, errfd, devnull, libc):
    """Run argv under ptrace; return (exit code, peak VmHWM KiB, execs).

    Only the runtime's main thread is traced. VmHWM is per address space, so it
    is read at every execve/execveat entry (crun re-executes itself from a
    memfd copy; the image before that exec counts too) and at the exit event;
    the peak is the largest of these.
    """
    pid = spawn(argv, errfd, devnull, True, libc)
    peak, execs, first = None, 0, True
    opts = PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD

    def sample():
        nonlocal peak
        try:
            h = read_hwm(pid)
        except OSError:
            return
        if h is not None and (peak is None or h > peak):
            peak = h

    while True:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            return os.waitstatus_to_exitcode(status), peak, execs
        if not os.WIFSTOPPED(status):
            continue
        sig = os.WSTOPSIG(status)
        event = status >> 16
        deliver = 0
        if first and sig == 5:                       # SIGTRAP after the first execve
            first = False
            libc.ptrace(PTRACE_SETOPTIONS, pid, None, ctypes.c_void_p(opts))
        elif sig == 5 | 0x80:                        # syscall entry or exit
            try:
                with open('/proc/%d/syscall' % pid) as f:
                    nr = f.read().split(' ', 1)[0]
            except OSError:
                nr = ''
            if nr in EXEC_NRS:
                sample()
        elif sig == 5 and event == PTRACE_EVENT_EXEC:
            execs += 1
        elif sig == 5 and event == PTRACE_EVENT_EXIT:
            sample()
        else:
            deliver = sig                            # signal-delivery stop: pass it on
        libc.ptrace(PTRACE_SYSCALL, pid, None, ctypes.c_void_p(deliver))


def measure(o):
    """Phase 2, inside the cgroup jail; writes a JSON result file."""
    sb = load_startbench(o.startbench)
    ok, my = sb.jail_possible()
    if not ok:
        die('cannot build the cgroup jail: ' + my)
    sb.build_jail(my)
    my = my.rstrip('/')
    cgroot = '/sys/fs/cgroup/memory'
    libc = libc_ptrace()
    with open(os.path.join(o.bundle, 'config.json')) as f:
        tmpl = json.load(f)
    tmpl['root']['path'] = os.path.join(o.bundle, tmpl['root'].get('path', 'rootfs'))
    workdir = o.workdir
    errlog = os.path.join(workdir, 'stderr.log')
    errfd = os.open(errlog, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDWR)
    # same cgroup styles as startbench: absolute cgroupsPath under our own memory
    # cgroup for arca and crun; runc with --rootless=true and no cgroupsPath.
    rts = [Rt('arca', o.arca, os.path.join(workdir, 'state-arca'), True, []),
           Rt('crun', o.crun, os.path.join(workdir, 'state-crun'), True, []),
           Rt('runc', o.runc, os.path.join(workdir, 'state-runc'), False, ['--rootless=true'])]
    seq = [0]
    leftovers = [0]

    def one(rt, trace, keep):
        seq[0] += 1
        cid = 'ab%d-%s%d' % (os.getpid(), rt.name, seq[0])
        d = os.path.join(workdir, cid)
        os.mkdir(d)
        c = copy.deepcopy(tmpl)
        if rt.cg_abs:
            c['linux']['cgroupsPath'] = my + '/' + cid
        with open(os.path.join(d, 'config.json'), 'w') as f:
            json.dump(c, f)
        argv = rt.argv + ['run', '-b', d, cid]
        if trace:
            rc, hwm, execs = run_traced(argv, errfd, devnull, libc)
            rt.execs = max(rt.execs, execs)
        else:
            rc, cpu, wall = run_plain(argv, errfd, devnull, libc)
        if os.path.exists(os.path.join(rt.state, cid)):
            leftovers[0] += 1
            subprocess.run(rt.argv + ['delete', '-f', cid], stdin=devnull, stdout=devnull,
                           stderr=errfd)
        cgd = cgroot + my + '/' + cid
        if os.path.isdir(cgd):
            leftovers[0] += 1
            try:
                os.rmdir(cgd)
            except OSError:
                pass
        shutil.rmtree(d, ignore_errors=True)
        if rc != 0:
            if keep:
                rt.fails += 1
            return
        if not keep:
            return
        if trace:
            if hwm is not None:
                rt.hwm.append(hwm)
        else:
            rt.cpu.append(cpu)
            rt.wall.append(wall)

    for i in range(-o.warmup, o.n):
        k = i % len(rts)
        order = rts[k:] + rts[:k]
        for rt in order:
            one(rt, False, i >= 0)
        for rt in order:
            one(rt, True, i >= 0)
    os.close(errfd)
    with open(errlog) as f:
        errtail = f.read().strip().splitlines()[-8:]
    res = {'leftovers': leftovers[0], 'errors': errtail, 'memcg': my,
           'runtimes': {rt.name: {'cpu': rt.cpu, 'wall': rt.wall, 'hwm': rt.hwm,
                                  'fails': rt.fails, 'execs': rt.execs,
                                  'argv': rt.argv[1:]} for rt in rts}}
    with open(o.result, 'w') as f:
        json.dump(res, f)
    return 0


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('-n', type=int, default=50, help='measured runs / pairs (default 50)')
    ap.add_argument('--warmup', type=int, default=3, help='discarded warm-up rounds (default 3)')
    ap.add_argument('--arca', default=os.environ.get('ARCA_BIN', DEFAULT_ARCA),
                    help='arca binary (default $ARCA_BIN or %s)' % DEFAULT_ARCA)
    ap.add_argument('--crun', default='crun')
    ap.add_argument('--runc', default='runc')
    ap.add_argument('--startbench', default=os.environ.get('STARTBENCH', DEFAULT_STARTBENCH),
                    help='path of startbench.py (default $STARTBENCH or %s)' % DEFAULT_STARTBENCH)
    ap.add_argument('--oci-version', default='1.0.2-dev',
                    help='ociVersion written into the bundle config (default 1.0.2-dev, as '
                         '`runc spec` writes it; crun 1.8.1 rejects 1.2.0); empty: keep')
    ap.add_argument('--skip-ratios', action='store_true', help='skip phase 1 (startbench)')
    ap.add_argument('--json', help='also write all results to this JSON file')
    # internal: phase 2 inside the jail
    ap.add_argument('--_measure', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--_bundle', dest='bundle', help=argparse.SUPPRESS)
    ap.add_argument('--_workdir', dest='workdir', help=argparse.SUPPRESS)
    ap.add_argument('--_result', dest='result', help=argparse.SUPPRESS)
    o = ap.parse_args()

    if o._measure:
        if os.environ.get(MEASURE_ENV) != '1':
            die('--_measure is internal')
        return measure(o)

    if os.geteuid() != 0:
        die('must run as root')
    if o.n < 1:
        die('-n must be >= 1')
    if not os.path.isfile(o.startbench):
        die('startbench not found at %s (set STARTBENCH)' % o.startbench)
    o.arca, o.crun, o.runc = resolve(o.arca), resolve(o.crun), resolve(o.runc)

    workdir = tempfile.mkdtemp(prefix='arca-startup-bench.', dir='/var/tmp')
    os.chmod(workdir, 0o755)
    try:
        return bench(o, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench(o, workdir):
    started = time.strftime('%Y-%m-%d %H:%M:%S %Z')
    log('arca start-up benchmark, %s, n=%d (+%d warm-up)' % (started, o.n, o.warmup))
    vers = {}
    for name, p in (('arca', o.arca), ('crun', o.crun), ('runc', o.runc)):
        vers[name] = version(p)
        log('  %-4s %s  [%s]' % (name, p, vers[name]))
    bundle, source = build_bundle(workdir, o.arca, o.runc, o.oci_version)
    log('  bundle: busybox rootfs + `%s spec` config, args [/bin/true], terminal false, '
        'no linux.resources' % source)
    log('  kernel %s, %d cpus, load average %s' % (
        os.uname().release, os.cpu_count(),
        ' '.join(open('/proc/loadavg').read().split()[:3])))

    ratios = {}
    if not o.skip_ratios:
        log('\n== phase 1: wall time, interleaved pairs (startbench) ==')
        for other, p in (('crun', o.crun), ('runc', o.runc)):
            ratios[other] = run_startbench(o.startbench, o.arca, p, bundle, o.n, o.warmup)

    log('\n== phase 2: CPU time and peak RSS per run (in the startbench cgroup jail) ==')
    result = os.path.join(workdir, 'result.json')
    mwork = os.path.join(workdir, 'measure')
    os.mkdir(mwork)
    env = dict(os.environ, **{MEASURE_ENV: '1'})
    argv = ['unshare', '-m', '--propagation', 'private', sys.executable,
            os.path.abspath(__file__), '--_measure', '-n', str(o.n), '--warmup', str(o.warmup),
            '--arca', o.arca, '--crun', o.crun, '--runc', o.runc,
            '--startbench', o.startbench, '--_bundle', bundle, '--_workdir', mwork,
            '--_result', result]
    p = subprocess.run(argv, env=env)
    if p.returncode != 0 or not os.path.exists(result):
        die('measurement phase failed (rc %d)' % p.returncode)
    with open(result) as f:
        res = json.load(f)

    log('%-5s %11s %11s  %11s %11s  %12s %12s  %9s %6s' % (
        'rt', 'cpu med ms', 'cpu p90 ms', 'wall med ms', 'wall p90 ms',
        'RSS med KiB', 'RSS p90 KiB', 'fails', 'execs'))
    summary = {}
    for name in ('arca', 'crun', 'runc'):
        r = res['runtimes'][name]
        if not r['cpu'] or not r['hwm']:
            log('%-5s no successful runs (fails %d)' % (name, r['fails']))
            summary[name] = None
            continue
        s = summary[name] = {
            'cpu_med': statistics.median(r['cpu']), 'cpu_p90': pct(r['cpu'], 90),
            'wall_med': statistics.median(r['wall']), 'wall_p90': pct(r['wall'], 90),
            'rss_med': statistics.median(r['hwm']), 'rss_p90': pct(r['hwm'], 90),
            'fails': r['fails'], 'n': len(r['cpu'])}
        log('%-5s %11.2f %11.2f  %11.2f %11.2f  %12.0f %12.0f  %4d/%-4d %6d' % (
            name, s['cpu_med'], s['cpu_p90'], s['wall_med'], s['wall_p90'],
            s['rss_med'], s['rss_p90'], s['fails'], 2 * o.n, r['execs']))
    log('  cpu = user+sys of the runtime and the children it reaped (wait4); RSS = peak VmHWM '
        'of the runtime process itself (max over its exec images); execs = re-execs of it')
    for name in ('arca', 'crun', 'runc'):
        log('  %-4s args: %s' % (name, ' '.join(res['runtimes'][name]['argv'])))
    log('  leftovers cleaned: %d' % res['leftovers'])
    if any(summary[n] is None or summary[n]['fails'] for n in summary) and res['errors']:
        log('  last runtime errors:')
        for line in res['errors']:
            log('    ' + line)
    log('  load average after: %s' % ' '.join(open('/proc/loadavg').read().split()[:3]))

    log('\n== verdict (targets of the start-up issue) ==')
    verdicts = []

    def verdict(name, ok, text):
        word = 'n/a ' if ok is None else ('PASS' if ok else 'FAIL')
        verdicts.append(ok)
        log('%s  %s' % (word, text))

    rc_ = ratios.get('crun')
    if rc_ is None or rc_ != rc_:
        verdict('ratio', None, 'wall time arca/crun <= %.2f: not measured' % TARGET_RATIO_CRUN)
    else:
        verdict('ratio', rc_ <= TARGET_RATIO_CRUN,
                'wall time arca/crun = %.2f (target <= %.2f); arca/runc = %.2f' % (
                    rc_, TARGET_RATIO_CRUN, ratios.get('runc', float('nan'))))
    a = summary.get('arca')
    if a is None:
        verdict('cpu', None, 'CPU per run: arca did not run')
        verdict('rss', None, 'peak RSS: arca did not run')
    else:
        verdict('cpu', a['cpu_med'] <= TARGET_CPU_MS,
                'CPU per run arca median %.2f ms, p90 %.2f ms (target <= %.0f ms)' % (
                    a['cpu_med'], a['cpu_p90'], TARGET_CPU_MS))
        verdict('rss', a['rss_med'] <= TARGET_RSS_KIB,
                'peak RSS arca median %.0f KiB = %.2f MiB, p90 %.0f KiB (target <= 2 MiB)' % (
                    a['rss_med'], a['rss_med'] / 1024.0, a['rss_p90'], ))
    if o.json:
        with open(o.json, 'w') as f:
            json.dump({'date': started, 'n': o.n, 'versions': vers, 'ratios': ratios,
                       'summary': summary, 'raw': res}, f, indent=1)
    if any(v is None for v in verdicts):
        return 2
    return 0 if all(verdicts) else 1


if __name__ == '__main__':
    sys.exit(main())
