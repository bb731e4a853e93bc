// What a boot test's probe reports from inside the guest, one serial line each: "H2K-PROBE <key>
// <values>". Guest family modules write probes that print it; the boot test reads it. Pure.

export const PROBE_TAG = 'H2K-PROBE';

export interface ProbeReport {
  target?: { name: string; state: string };
  root?: string;
  fstabMissing?: string[];
  addrs: { dev: string; ip: string; prefix: number }[];
  /** The policy's service checks, by their index in the policy. */
  checks: { index: number; ok: boolean; detail: string }[];
  ended: boolean;
}

/** The probe's lines in a serial log. */
export function parseProbe(serial: string): ProbeReport {
  const report: ProbeReport = { addrs: [], checks: [], ended: false };
  for (const line of serial.split(/\r?\n/)) {
    const m = new RegExp(`${PROBE_TAG} (\\S+) ?(.*)$`).exec(line);
    if (!m) continue;
    const [, key, rest] = m;
    const words = rest.trim().split(/\s+/).filter(Boolean);
    if (key === 'target') report.target = { name: words[0] ?? '', state: words[1] ?? '' };
    else if (key === 'root') report.root = words[0] ?? '';
    else if (key === 'fstab-missing') report.fstabMissing = words;
    else if (key === 'addr' && words.length === 2) {
      const [ip, prefix] = words[1].split('/');
      report.addrs.push({ dev: words[0], ip, prefix: Number(prefix) });
    } else if (key === 'check' && /^\d+$/.test(words[0] ?? '')) {
      const detail = rest.trim().split(/\s+/).slice(2).join(' ');
      report.checks.push({ index: Number(words[0]), ok: words[1] === 'ok', detail });
    } else if (key === 'end') report.ended = true;
  }
  return report;
}
