// What a boot test's probe reports from inside the guest, one serial line each: "H2K-PROBE <key>
// <values>". Guest family modules write probes that print it; the boot test reads it. Pure.

export const PROBE_TAG = 'H2K-PROBE';

export interface ProbeReport {
  target?: { name: string; state: string };
  root?: string;
  fstabMissing?: string[];
  addrs: { dev: string; ip: string; prefix: number }[];
  ended: boolean;
}

/** The probe's lines in a serial log. */
export function parseProbe(serial: string): ProbeReport {
  const report: ProbeReport = { addrs: [], ended: false };
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
    } else if (key === 'end') report.ended = true;
  }
  return report;
}
