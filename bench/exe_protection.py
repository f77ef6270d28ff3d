#!/usr/bin/env python3
"""exe_protection.py - what the CVE-2019-5736 protection costs arca per `run`.

arca re-executes itself from a read-only view of its binary before it forks a container when the
container could write the arca binary (src/security/exe_protection.h). It skips that
when the binary sits on a read-only mount. So one binary, reached two ways, is the
cleanest A/B:

    A = <tmp>/rw/arca   (a writable mount: re-executes from a read-only view)
    B = <tmp>/ro/arca   (the same file through a read-only bind mount: does not)

Both run `run` of /bin/true on the same busybox bundle, interleaved, by the shared
startbench.py (its cgroup jail and medians); the difference of the medians is the
protection's cost. Before timing, one `--debug` run of each checks that A re-executes
and B does not. Everything happens in a private mount namespace (the script re-executes
itself under `unshare -m`), the temp dir is removed at the end.

Usage (root):  ARCA_BIN=/tmp/build/arca python3 bench/exe_protection.py [-n 50]
               [--arca PATH] [--startbench PATH] [--warmup 3]
startbench.py is $STARTBENCH, else ../shared/tools/startbench.py beside the checkout
(from a worktree: STARTBENCH=/work/shared/tools/startbench.py).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from startup import load_startbench  # noqa: E402  (bench/startup.py, same folder)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
DEFAULT_STARTBENCH = os.path.join(os.path.dirname(REPO), 'shared', 'tools', 'startbench.py')
NS_ENV = '_EXE_PROTECTION_BENCH_NS'
MARKER = '(CVE-2019-5736)'


def die(msg, code=2):
    print('exe_protection: ' + msg, file=sys.stderr)
    sys.exit(code)


def reexecutes(arca, bundle_dir, workdir, label):
    """One `--debug run` of /bin/true: does this binary re-execute itself?"""
    b = os.path.join(workdir, 'check-' + label)
    os.makedirs(b)
    with open(os.path.join(bundle_dir, 'config.json')) as f:
        c = json.load(f)
    root = c['root']['path']
    c['root']['path'] = root if os.path.isabs(root) else os.path.join(bundle_dir, root)
    c['process']['args'] = ['/bin/true']
    c['process']['terminal'] = False
    c['linux'].pop('resources', None)
    with open(os.path.join(b, 'config.json'), 'w') as f:
        json.dump(c, f)
    log = os.path.join(workdir, 'check-%s.log' % label)
    state = os.path.join(workdir, 'state-check')
    p = subprocess.run([arca, '--root', state, '--debug', '--log', log, 'run', '-b', b,
                        'exe-protection-check-' + label],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        die('%s run failed: %s' % (arca, p.stderr.strip()))
    with open(log) as f:
        return MARKER in f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('-n', type=int, default=50, help='measured pairs (default 50)')
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--arca', default=os.environ.get('ARCA_BIN', os.path.join(REPO, 'build',
                                                                              'arca')))
    ap.add_argument('--startbench', default=os.environ.get('STARTBENCH', DEFAULT_STARTBENCH))
    o = ap.parse_args()
    if os.geteuid() != 0:
        die('must run as root')
    if not os.path.isfile(o.arca):
        die('no arca binary at %s (set ARCA_BIN)' % o.arca)
    if not os.path.isfile(o.startbench):
        die('startbench not found at %s (set STARTBENCH)' % o.startbench)
    if os.environ.get(NS_ENV) != '1':
        env = dict(os.environ, **{NS_ENV: '1'})
        argv = ['unshare', '-m', '--propagation', 'private', sys.executable,
                os.path.abspath(__file__)] + sys.argv[1:]
        os.execvpe('unshare', argv, env)

    sb = load_startbench(o.startbench)
    bundle = sb.build_busybox_bundle()
    workdir = tempfile.mkdtemp(prefix='exe-protection-', dir='/var/tmp')
    ro = os.path.join(workdir, 'ro')
    try:
        rw = os.path.join(workdir, 'rw')
        os.makedirs(rw)
        os.makedirs(ro)
        arca_rw = os.path.join(rw, 'arca')
        shutil.copy2(o.arca, arca_rw)
        subprocess.run(['mount', '--bind', rw, ro], check=True)
        subprocess.run(['mount', '-o', 'remount,bind,ro', ro], check=True)
        arca_ro = os.path.join(ro, 'arca')
        a_re, b_re = reexecutes(arca_rw, bundle, workdir, 'rw'), reexecutes(arca_ro, bundle,
                                                                             workdir, 'ro')
        print('A = %s  re-executes: %s' % (arca_rw, a_re))
        print('B = %s  re-executes: %s' % (arca_ro, b_re))
        if not a_re or b_re:
            die('the A/B premise does not hold (A must re-execute, B must not)')
        p = subprocess.run([sys.executable, o.startbench, arca_rw, arca_ro, bundle,
                            '-n', str(o.n), '--warmup', str(o.warmup), '--max-ratio', '100'],
                           capture_output=True, text=True)
        print(p.stdout, end='')
        if p.returncode != 0:
            die('startbench failed (%d): %s' % (p.returncode, p.stderr.strip()))
        med = dict(re.findall(r'^([AB]) run: median\s+([\d.]+) ms', p.stdout, re.M))
        cpu = dict(re.findall(r'^([AB]) run: .*cpu median\s+([\d.]+) ms', p.stdout, re.M))
        if 'A' in med and 'B' in med:
            print('protection re-exec costs %+.2f ms wall (median %.2f -> %.2f ms), '
                  '%+.2f ms CPU per run' % (float(med['A']) - float(med['B']), float(med['B']),
                                            float(med['A']),
                                            float(cpu.get('A', 0)) - float(cpu.get('B', 0))))
    finally:
        subprocess.run(['umount', ro], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
