#!/usr/bin/env python3
"""Where a test run's CPU goes, per test file: samples /proc every second while the run lasts.

    python3 scripts/cpu-by-test-file.py OUT.json &   # then run the suite; stop this with SIGTERM

A test file's CPU is its node process with its reaped descendants (utime+stime+cutime+cstime at its
last sample), plus what its process tree loses: guestfish --listen daemons (reparented to init) and
the qemu machines libvirtd starts for a boot test (named h2k-validate-<vm>-<h2k pid>), each counted by
its own last sample and attributed to the test file that is its h2k's ancestor. Fixture builders are
counted by their script name. Figures are CPU seconds; a process that lives less than a second is
only seen through its reaping parent's cutime.
"""
import json
import os
import re
import signal
import sys
import time

HZ = os.sysconf('SC_CLK_TCK')
out_path = sys.argv[1]
procs = {}  # (pid, start) -> {ppid, cmd, cpu, ccpu, first, last}
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)


def sample(now):
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                st = f.read()
            with open(f'/proc/{d}/cmdline', 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode('utf8', 'replace')[:600]
        except OSError:
            continue
        rest = st[st.rindex(')') + 2:].split()
        ppid, utime, stime, cutime, cstime, start = int(rest[1]), *map(int, rest[11:15]), int(rest[19])
        key = (int(d), start)
        p = procs.setdefault(key, {'pid': int(d), 'ppid': ppid, 'cmd': cmd, 'first': now})
        p.update(cpu=(utime + stime) / HZ, ccpu=(cutime + cstime) / HZ, last=now)
        if ppid != 1:
            p['ppid0'] = ppid


while running:
    sample(time.time())
    time.sleep(1)

by_pid = {}
for (pid, start), p in procs.items():
    by_pid.setdefault(pid, []).append(p)


def parent_of(p):
    cands = [q for q in by_pid.get(p.get('ppid0', p['ppid']), []) if q['first'] <= p['first'] + 1]
    return max(cands, key=lambda q: q['first']) if cands else None


def test_file(p):
    seen = 0
    while p and seen < 50:
        m = re.search(r'dist/test/\S+\.test\.js', p['cmd'])
        if m and 'node' in p['cmd'].split(' ')[0]:
            return m.group(0)
        m = re.search(r'test/fixtures/(build-[\w-]+\.sh)', p['cmd'])
        if m:
            return m.group(1)
        m = re.search(r'guest=h2k-validate-[^,]*-(\d+)', p['cmd'])
        if m and p.get('ppid0', p['ppid']) != int(m.group(1)):
            hs = [q for q in by_pid.get(int(m.group(1)), []) if q['first'] <= p['first'] + 1]
            p = max(hs, key=lambda q: q['first']) if hs else None
        else:
            p = parent_of(p)
        seen += 1
    return None


files = {}
for p in procs.values():
    f = test_file(p)
    if not f:
        continue
    e = files.setdefault(f, {'cpu': 0.0, 'orphans': 0.0, 'libvirt_qemu': 0.0, 'wall': [p['first'], p['last']]})
    e['wall'] = [min(e['wall'][0], p['first']), max(e['wall'][1], p['last'])]
    is_root = (re.search(r'dist/test/\S+\.test\.js', p['cmd']) and 'node' in p['cmd'].split(' ')[0]) or (
        re.search(r'test/fixtures/build-[\w-]+\.sh', p['cmd']) and not re.search(r'build-[\w-]+\.sh', parent_of(p)['cmd'] if parent_of(p) else ''))
    if is_root:
        e['cpu'] += p['cpu'] + p['ccpu']
    elif p['ppid'] == 1 and 'ppid0' in p:
        e['orphans'] += p['cpu'] + p['ccpu']
    elif 'guest=h2k-validate' in p['cmd']:
        e['libvirt_qemu'] += p['cpu']
report = {
    f: {'cpu_s': round(e['cpu'] + e['orphans'] + e['libvirt_qemu']), 'tree': round(e['cpu']),
        'orphans': round(e['orphans']), 'libvirt_qemu': round(e['libvirt_qemu']), 'wall_s': round(e['wall'][1] - e['wall'][0])}
    for f, e in sorted(files.items(), key=lambda kv: -(kv[1]['cpu'] + kv[1]['orphans'] + kv[1]['libvirt_qemu']))
}
with open(out_path, 'w') as f:
    json.dump(report, f, indent=1)
