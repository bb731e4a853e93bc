// Where a run's CPU goes, by process: samples every process's CPU time from /proc every 2 s until
// SIGTERM or SIGINT, then prints CPU-seconds by kind (a libguestfs appliance's qemu, a boot test's
// qemu, otherwise the command's name) and the processes that used the most. .ci/run starts it beside
// the suite: on 2 cores the wall time is the CPU work, and this says whose work it is.
//   node scripts/cpu-by-process.mjs [TOP]
// A process that lives less than one sample is missed; its CPU shows in its parent's reaped-children
// time, listed last.
import { readFileSync, readdirSync } from 'node:fs';

const HZ = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux
const top = Number(process.argv[2]) || 25;
const started = Date.now();
const seen = new Map();
let firstPass = true;

function kind(cmd, comm) {
  if (!cmd.includes('qemu-system')) return comm;
  if (cmd.includes('appliance.d/kernel')) return 'qemu: libguestfs appliance';
  return cmd.includes('-name') ? 'qemu: boot test VM' : 'qemu: other';
}

function sample() {
  const now = (Date.now() - started) / 1000;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) / HZ;
      const reaped = (Number(f[13]) + Number(f[14])) / HZ;
      const key = `${pid}/${f[19]}`;
      let p = seen.get(key);
      if (!p) {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim().slice(0, 300);
        } catch {
          // gone already
        }
        // Processes running before the sampler count from its start.
        p = { comm, cmd, first: now, cpu0: firstPass ? cpu : 0, reaped0: firstPass ? reaped : 0 };
        seen.set(key, p);
      }
      Object.assign(p, { last: now, cpu, reaped });
    } catch {
      // exited between the listing and the read
    }
  }
  firstPass = false;
}

function report() {
  const byKind = new Map();
  for (const p of seen.values()) {
    const k = kind(p.cmd, p.comm);
    const t = byKind.get(k) ?? { cpu: 0, n: 0 };
    t.cpu += p.cpu - p.cpu0;
    t.n++;
    byKind.set(k, t);
  }
  const out = [`cpu: sampled ${((Date.now() - started) / 1000).toFixed(0)} s; CPU-seconds by kind (processes):`];
  for (const [k, t] of [...byKind].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, top))
    out.push(`${t.cpu.toFixed(0).padStart(8)} ${String(t.n).padStart(5)}  ${k}`);
  const line = (v, p) =>
    `${v.toFixed(0).padStart(8)}  ${p.first.toFixed(0)}-${p.last.toFixed(0)} s  ${p.cmd || p.comm}`;
  out.push('cpu: the processes that used the most (CPU-s, seen from-to s after the start):');
  for (const p of [...seen.values()].sort((a, b) => b.cpu - b.cpu0 - (a.cpu - a.cpu0)).slice(0, top))
    out.push(line(p.cpu - p.cpu0, p).slice(0, 200));
  out.push('cpu: reaped children (CPU-s of the short-lived processes each one waited for):');
  for (const p of [...seen.values()].sort((a, b) => b.reaped - b.reaped0 - (a.reaped - a.reaped0)).slice(0, top))
    out.push(line(p.reaped - p.reaped0, p).slice(0, 200));
  process.stderr.write(`${out.join('\n')}\n`);
}

const timer = setInterval(sample, 2000);
sample();
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => {
    clearInterval(timer);
    sample();
    report();
    process.exit(0);
  });
