// Which libguestfs backend settings work on this machine. Some hosts have /dev/kvm but the
// appliance hangs on it; there only TCG works. An explicit LIBGUESTFS_BACKEND /
// LIBGUESTFS_BACKEND_SETTINGS from the user always wins; otherwise h2k probes once (defaults
// first, then forced TCG) and caches the answer keyed by the libguestfs version and host kernel.
// Either way the appliance boots the kernel unpacked once by appliance-kernel.ts, where there is one;
// the probe tries the kernel as shipped only when no launch works with the unpacked one.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type ApplianceKernelEnv, applianceKernelEnv } from './appliance-kernel.js';
import { requireTool } from './known-tools.js';
import { cacheDir } from './locate.js';

export interface GuestfsEnv extends ApplianceKernelEnv {
  LIBGUESTFS_BACKEND: string;
  LIBGUESTFS_BACKEND_SETTINGS?: string;
}

export interface ProbeResult {
  env: GuestfsEnv;
  source: 'user' | 'cache' | 'probe';
  seconds?: number;
  tried: { env: GuestfsEnv; ok: boolean; seconds: number; error?: string }[];
}

const CANDIDATES: GuestfsEnv[] = [
  { LIBGUESTFS_BACKEND: 'direct' },
  { LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' },
];

async function libguestfsVersion(): Promise<string> {
  const g = requireTool('guestfish');
  const { stdout } = await execa(g, ['--version'], { reject: false });
  return stdout.trim();
}

/** One appliance launch with the given settings, bounded so a hang costs at most timeoutMs. */
export async function tryLaunch(
  env: GuestfsEnv,
  timeoutMs: number,
): Promise<{ ok: boolean; seconds: number; error?: string }> {
  const started = Date.now();
  const r = await execa(requireTool('guestfish'), ['-a', '/dev/null', 'run'], {
    env: { LIBGUESTFS_BACKEND_SETTINGS: '', ...env },
    reject: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  const seconds = (Date.now() - started) / 1000;
  if (r.exitCode === 0) return { ok: true, seconds };
  const error = r.timedOut
    ? `appliance did not come up within ${timeoutMs / 1000} s`
    : (r.stderr.split('\n').find((l) => /error|fail/i.test(l)) ?? r.stderr.trim().split('\n').pop() ?? 'failed');
  return { ok: false, seconds, error };
}

export async function guestfsEnv(opts: { probeTimeoutMs?: number; refresh?: boolean } = {}): Promise<ProbeResult> {
  const kernel = await applianceKernelEnv();
  if (process.env.LIBGUESTFS_BACKEND || process.env.LIBGUESTFS_BACKEND_SETTINGS) {
    const env: GuestfsEnv = { LIBGUESTFS_BACKEND: process.env.LIBGUESTFS_BACKEND ?? 'direct', ...kernel };
    if (process.env.LIBGUESTFS_BACKEND_SETTINGS)
      env.LIBGUESTFS_BACKEND_SETTINGS = process.env.LIBGUESTFS_BACKEND_SETTINGS;
    return { env, source: 'user', tried: [] };
  }
  const key = `${await libguestfsVersion()} | ${release()} | ${kernel.SUPERMIN_KERNEL ?? 'kernel as shipped'}`;
  const file = join(cacheDir(), 'guestfs-backend.json');
  if (!opts.refresh && existsSync(file)) {
    try {
      const cached = JSON.parse(readFileSync(file, 'utf8')) as { key: string; env: GuestfsEnv };
      if (cached.key === key) return { env: cached.env, source: 'cache', tried: [] };
    } catch {
      // unreadable cache: probe again
    }
  }
  const tried: ProbeResult['tried'] = [];
  const candidates = [...CANDIDATES.map((c) => ({ ...c, ...kernel })), ...(kernel.SUPERMIN_KERNEL ? CANDIDATES : [])];
  for (const env of candidates) {
    const r = await tryLaunch(env, opts.probeTimeoutMs ?? 120_000);
    tried.push({ env, ...r });
    if (r.ok) {
      mkdirSync(cacheDir(), { recursive: true });
      writeFileSync(file, `${JSON.stringify({ key, env }, null, 2)}\n`);
      return { env, source: 'probe', seconds: r.seconds, tried };
    }
  }
  const last = tried[tried.length - 1];
  throw Object.assign(new Error(`libguestfs cannot launch its appliance: ${last?.error ?? 'unknown error'}`), {
    tried,
  });
}

/** The backend settings, as a user would set them (the kernel is the doctor's line of its own). */
export function describeEnv(env: GuestfsEnv): string {
  return Object.entries(env)
    .filter(([k]) => k.startsWith('LIBGUESTFS_BACKEND'))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** KVM where it works; this machine's libguestfs probe tells whether KVM hangs here. */
export async function hostAccel(): Promise<'kvm' | 'tcg'> {
  if (!existsSync('/dev/kvm')) return 'tcg';
  try {
    const { env } = await guestfsEnv();
    return env.LIBGUESTFS_BACKEND_SETTINGS?.includes('force_tcg') ? 'tcg' : 'kvm';
  } catch {
    return 'tcg';
  }
}
