// Kill -9 anywhere in a whole apply, resume until done, and hold the result to an uninterrupted
// run's. Shared by the seeded sample in `npm test` (kill-anywhere.test.ts) and the full run of
// `npm run bench faults`. The source is the Debian fixture in a real vcsim, so FETCH is part of
// the apply. Points are seeded and printed: H2K_KILL_SEED=<n> reproduces a run.
//   - a point in time (seconds after apply starts) kills the whole process group, as a CI runner,
//     systemd or a container stop does;
//   - a "before record" point crashes h2k in the instant between a stage's work and its state
//     record, through the H2K_FAULT_CRASH_BEFORE_RECORD fault injection (that instant cannot be
//     hit from outside).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { initramfsFiles } from '../../src/tools/initramfs.js';
import { fileSha256 } from '../../src/util/files.js';
import { LAB_SOURCE, VC_PASSWORD, createFixtureVm, startVcsim } from '../fixtures/vcsim.js';
import { H2K, h2k, writeConfig } from '../helpers.js';

export const STAGES = ['fetch', 'flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'];

export type KillPoint = { n: number; seconds: number } | { n: number; beforeRecord: string };

export const describePoint = (p: KillPoint) =>
  'seconds' in p
    ? `#${p.n}: SIGKILL ${p.seconds.toFixed(1)} s into the apply`
    : `#${p.n}: crash before ${p.beforeRecord}'s record`;

/** mulberry32: small, seedable, the same sequence on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` points over an apply that takes `seconds` uninterrupted; one in five before a record. */
export function killPoints(seed: number, count: number, seconds: number): KillPoint[] {
  const r = random(seed);
  return Array.from({ length: count }, (_, n) =>
    r() < 0.2
      ? { n: n + 1, beforeRecord: STAGES[Math.floor(r() * STAGES.length)] }
      : { n: n + 1, seconds: Math.round(r() * seconds * 10) / 10 },
  );
}

const APPLY = (dir: string) => ['apply', dir, '-auto-approve', '--no-color'];

/** Runs one apply, killed at the point; returns the stage it was in (from its progress lines). */
export async function killedApply(dir: string, vm: string, point: KillPoint, env: Record<string, string>) {
  const fault = 'beforeRecord' in point ? { H2K_FAULT_CRASH_BEFORE_RECORD: `${vm}:${point.beforeRecord}` } : {};
  const child = spawn(H2K, APPLY(dir), { detached: true, env: { ...process.env, NO_COLOR: '1', ...env, ...fault } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  const timer =
    'seconds' in point ? setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), point.seconds * 1000) : undefined;
  const [code, signal] = await new Promise<[number | null, string | null]>((res) =>
    child.once('exit', (c, s) => res([c, s])),
  );
  clearTimeout(timer);
  const started = [...err.matchAll(/: (\w+): started/g)].map((m) => m[1]);
  const done = [...err.matchAll(/: (\w+): done/g)].map((m) => m[1]);
  const stage = started.find((s) => !done.includes(s)) ?? (done.length ? `after ${done[done.length - 1]}` : 'planning');
  return { killed: signal === 'SIGKILL', code, stage, stderr: err };
}

/** Runs one apply (with `extra` arguments) and sends `signal` to h2k alone (not its group: h2k must
 *  end its own helpers) once its progress matches `when`. */
export async function signalledApply(
  dir: string,
  env: Record<string, string>,
  signal: 'SIGTERM' | 'SIGINT',
  when: RegExp,
  extra: string[] = [],
) {
  const child = spawn(H2K, [...APPLY(dir), ...extra], { env: { ...process.env, NO_COLOR: '1', ...env } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  let sentAt = 0;
  const t = setInterval(() => {
    if (sentAt || !when.test(err)) return;
    sentAt = Date.now();
    child.kill(signal);
  }, 50);
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  clearInterval(t);
  return { code, stderr: err };
}

/** Helper processes still running whose command line names `dir`, or orphaned guestfish processes,
 *  once they had `graceMs` to end. The chain takes seconds on a loaded host: the reaper polls once
 *  a second, and libguestfs's recovery process (a guestfish fork) stops qemu once it sees its
 *  guestfish gone. */
export async function helpersOf(dir: string, graceMs = 15_000): Promise<string[]> {
  const end = Date.now() + graceMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const left = (await leftovers(dir)).filter((l) => l.startsWith('process:'));
    if (left.length === 0 || Date.now() > end) return left;
  }
}

/** Applies again (clearing the dead run's lock, as a user would) until the apply succeeds. */
export async function resumeUntilDone(dir: string, env: Record<string, string>): Promise<number> {
  for (let runs = 1; runs <= 3; runs++) {
    const r = await h2k(APPLY(dir), { env });
    const stale = /force-unlock ([0-9a-f-]{36})/.exec(r.stderr)?.[1];
    if (stale) {
      await h2k(['force-unlock', stale, dir], { env });
      continue;
    }
    if (r.exitCode === 0) return runs;
    throw new Error(`apply failed after the kill:\n${r.stderr}`);
  }
  throw new Error('apply did not finish in 3 runs after the kill');
}

/** What FIX left in the guest: each changed file's sha256 (a link: its target) and each initramfs's
 *  member names (its bytes hold build times, so two correct runs differ there). */
export async function guestContent(image: string, paths: string[]): Promise<Record<string, string>> {
  return (await guestContents([image], paths))[0];
}

/** guestContent of several converted disks, read in one appliance. */
export async function guestContents(images: string[], paths: string[]): Promise<Record<string, string>[]> {
  const g = await GuestfishSession.launch(
    images.map((path) => ({ path, format: 'qcow2' })),
    { readonly: true },
  );
  try {
    const all: Record<string, string>[] = [];
    for (const i of images.keys()) {
      const at = `/d${i}`;
      await g.run('mkmountpoint', at);
      await g.run('mount-ro', `/dev/sd${'abcdefgh'[i]}1`, at);
      const out: Record<string, string> = {};
      for (const p of paths) {
        // A link is its target (the guest's root is not the appliance's: /dev/null would be read there).
        if ((await g.run('is-symlink', at + p)).trim() === 'true')
          out[p] = `-> ${(await g.run('readlink', at + p)).trim()}`;
        else if ((await g.run('exists', at + p)).trim() === 'true')
          out[p] = (await g.run('checksum', 'sha256', at + p)).trim();
        else out[p] = '(absent)';
      }
      const initrds = (await g.run('glob-expand', `${at}/boot/initrd.img-*`)).split('\n').filter(Boolean);
      for (const f of initrds)
        out[f.slice(at.length)] = (await initramfsFiles((await g.readBytes(f))!)).sort().join(' ');
      all.push(out);
    }
    return all;
  } finally {
    await g.close();
  }
}

function walk(dir: string, found: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, found);
    else found.push(p);
  }
  return found;
}

/** What a finished apply must not leave behind: .partial files, helper processes, FUSE mounts. */
export async function leftovers(dir: string): Promise<string[]> {
  const out = walk(dir).filter((f) => f.endsWith('.partial'));
  const ps = await execa('ps', ['-eo', 'pid=,ppid=,args='], { reject: false });
  const procs = ps.stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m) => m !== null);
  for (const [line, , ppid, args] of procs)
    if (/nbdkit|nbdfuse|qemu-system|qemu-img convert/.test(args) && args.includes(dir))
      out.push(`process: ${line.trim().replace(/^(\d+)\s+\d+/, '$1')}`);
    // h2k's guestfish names no path; it is always h2k's child, so one whose parent is gone is left.
    else if (/(^|\/)guestfish$/.test(args) && !procs.some((p) => p[1] === ppid && ppid !== '1'))
      out.push(`process: ${line.trim().replace(/^(\d+)\s+\d+/, '$1')} (orphaned)`);
  // Test files run side by side, so another file's apply may hold a FUSE mount right now: a mount
  // is left behind when no live h2k serves it any more (its nbdfuse gone, or orphaned).
  for (const m of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    if (!m.includes('fuse') || !m.includes('h2k-')) continue;
    const point = m.split(' ')[1];
    const owner = procs.find((p) => /nbdfuse/.test(p[3]) && p[3].includes(point));
    const parent = owner && procs.find((p) => p[1] === owner[2]);
    if (!parent || !/\bh2k\b/.test(parent[3])) out.push(`mount: ${m}`);
  }
  return out;
}

/** CONVERT's output against converting the same fixed overlay in one go. */
export async function convertIsByteIdentical(dir: string, slug: string): Promise<boolean> {
  const ref = join(dir, 'reference.qcow2');
  const overlay = join(dir, '.h2k', 'work', slug, 'overlay.qcow2');
  await execa('qemu-img', ['convert', '-q', '-f', 'qcow2', '-O', 'qcow2', overlay, ref]);
  const same = (await fileSha256(ref)) === (await fileSha256(join(dir, 'out', `${slug}.qcow2`)));
  return same && statSync(ref).size > 0;
}

/** What a faulted run is held to: an uninterrupted conversion of the same disk (the run's shared one,
 *  shared-debian.ts, whose FIX plans the same edits: vsphere-debian checks a vSphere plan's fixes
 *  against a local one's), its time to spread the kill points over (less its boot test when the
 *  scenario has none), and the source's sha256 now. */
export async function referenceFrom(
  s: Scenario,
  local: { seconds: number; validateSeconds: number; paths: string[]; content: Record<string, string> },
) {
  const seconds = s.boot ? local.seconds : local.seconds - local.validateSeconds;
  return { seconds, paths: local.paths, content: local.content, sourceSha: await fileSha256(s.sourceFile) };
}

/** `h2k audit verify` and a parseable state whose every planned stage is recorded done. */
export async function stateVerifies(dir: string, vm: string): Promise<string | undefined> {
  const audit = await h2k(['audit', 'verify', dir]);
  if (audit.exitCode !== 0) return `audit verify: ${audit.stderr.trim()}`;
  const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
  const stages = state.vms[vm]?.stages ?? {};
  const missing = STAGES.filter((s) => stages[s]?.status !== 'done');
  return missing.length ? `stages not done: ${missing.join(', ')}` : undefined;
}

export interface Scenario {
  vm: string;
  slug: string;
  /** VALIDATE runs the boot test. */
  boot: boolean;
  env: Record<string, string>;
  /** A fresh configuration directory for one run. */
  configDir(): string;
  /** The source disk as the simulator stores it (its sha256 must never change). */
  sourceFile: string;
  stop(): Promise<void>;
}

/** The Debian fixture as a VM in a real vcsim; `boot` turns VALIDATE's boot test on. */
export async function vsphereScenario(fixture: string, opts: { boot: boolean }): Promise<Scenario> {
  const vc = await startVcsim();
  await createFixtureVm(vc, 'debian', { upload: [[join(fixture, 'debian-vmware-sparse.vmdk'), 'debian.vmdk']] });
  const info = JSON.parse((await vc.govc(['datastore.info', '-json', 'LocalDS_0'])).stdout);
  const config = `${LAB_SOURCE}policy "p" {
  output_dir   = "./out"
  boot_test    = ${opts.boot}
  boot_timeout = 900
}

vm "debian" {
  source = source.vsphere.lab
  name   = "debian"
  policy = policy.p
}
`;
  return {
    vm: 'vm.debian',
    slug: 'debian',
    boot: opts.boot,
    env: { H2K_VAR_vc_url: vc.url, H2K_VAR_vc_password: VC_PASSWORD },
    configDir: () => writeConfig({ 'main.h2k.hcl': config }),
    sourceFile: join(info.Datastores[0].Info.Url, 'debian', 'debian.vmdk'),
    stop: () => vc.stop(),
  };
}

/** The paths FIX changes, from a saved plan. */
export function fixedPaths(
  plan: { vms: Record<string, { actions: { stage: string; edits?: { path?: string }[] }[] }> },
  vm: string,
) {
  const fix = plan.vms[vm].actions.find((a) => a.stage === 'fix');
  return [...new Set((fix?.edits ?? []).flatMap((e) => (e.path ? [e.path] : [])))];
}

export interface PointResult {
  point: KillPoint;
  stage: string;
  killed: boolean;
  runs: number;
  problems: string[];
}

/** One point: a fresh run killed there, resumed until done, and every check against the reference. */
export async function runPoint(
  s: Scenario,
  point: KillPoint,
  reference: { content: Record<string, string>; sourceSha: string; paths: string[] },
): Promise<PointResult> {
  const dir = s.configDir();
  const k = await killedApply(dir, s.vm, point, s.env);
  // Nothing is cleaned up here: what the killed run left running is h2k's to end (src/tools/reaper.ts).
  const runs = k.code === 0 ? 0 : await resumeUntilDone(dir, s.env);
  return { point, stage: k.stage, killed: k.killed, runs, problems: await checkFinished(s, dir, reference) };
}

/** Everything a finished apply after a fault must satisfy, as problems (none when all hold). */
export async function checkFinished(
  s: Pick<Scenario, 'vm' | 'slug' | 'sourceFile'>,
  dir: string,
  reference: { content: Record<string, string>; sourceSha: string; paths: string[] },
): Promise<string[]> {
  const problems: string[] = [];
  const content = await guestContent(join(dir, 'out', `${s.slug}.qcow2`), reference.paths);
  for (const [p, want] of Object.entries(reference.content))
    if (content[p] !== want) problems.push(`${p} differs from the uninterrupted run's`);
  if (!(await convertIsByteIdentical(dir, s.slug))) problems.push('CONVERT output differs from converting its overlay');
  const state = await stateVerifies(dir, s.vm);
  if (state) problems.push(state);
  problems.push(...(await leftovers(dir)));
  if ((await fileSha256(s.sourceFile)) !== reference.sourceSha) problems.push('the source disk changed');
  return problems;
}
