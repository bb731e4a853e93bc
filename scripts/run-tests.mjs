// Runs the compiled test files with node's own test runner (Node 20 has no --test glob support).
//   node scripts/run-tests.mjs [--unit] [PATTERN...]
// --unit: only the files that need no appliance and no VM (everything outside test/e2e/), for the
// edit loop. PATTERNs keep the files whose path contains one of them. Each file's wall time and the
// total are printed on stderr at the end (scripts/file-times.mjs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import fileTimes from './file-times.mjs';

const root = 'dist/test';
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d).sort()) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.test.js')) files.push(p);
  }
};
walk(root);
const args = process.argv.slice(2);
const unit = args.includes('--unit');
const only = args.filter((a) => a !== '--unit');
// The unit files first: they need no fixture, so they run while .ci/run's fixture builders finish.
// Then the e2e files in this order: a long file started last would run alone at the end while the
// other lane idles, and a file whose fixture is still being built waits for its builder. So Windows
// and btrfs-snapshots (disks made in the test) first, then S's (its builder writes the btrfs on the
// host, one launch: ready early; its file is long), L's (one launch after its packages), D's files longest first, then U's and E's (E's
// builder is the slowest: it makes LVM and runs grub and dracut under TCG), then the short ones.
const E2E_ORDER = [
  'windows',
  'btrfs-snapshots',
  'suse-layout',
  'fleet',
  'luks-root',
  'kill-anywhere',
  'more-sources',
  'local-debian',
  'vsphere-debian',
  'disk-full',
  'ubuntu-layout',
  'enterprise-layout',
  'stale-plan',
  'bad-input',
  'vmware-left-unfixed',
  'report-in-browser',
];
// The unit files longest first too (measured on an idle host: 84, 60, 34, 30 and 28 s; the rest
// under 16 s): in path order the two longest started last and ran alone at the end.
const UNIT_ORDER = ['concurrent-applies', 'pg-backend', 'esxi-over-openssh', 'validate', 'refresh-and-state-commands'];
const isE2e = (f) => f.startsWith(join(root, 'e2e'));
const ranked = (order) => {
  const rank = (f) => {
    const i = order.findIndex((n) => f.endsWith(`/${n}.test.js`));
    return i < 0 ? order.length : i;
  };
  return (a, b) => rank(a) - rank(b);
};
const units = files.filter((f) => !isE2e(f)).sort(ranked(UNIT_ORDER));
const e2e = files.filter(isE2e).sort(ranked(E2E_ORDER));
const tiered = unit ? units : [...units, ...e2e];
const selected = only.length ? tiered.filter((f) => only.some((o) => f.includes(o))) : tiered;
if (selected.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// The boot tests run their machines through libvirtd (as the domains h2k ships): started here
// when the run has e2e files and none answers.
if (selected.some(isE2e)) execFileSync('bash', ['scripts/start-libvirtd.sh'], { stdio: 'inherit' });
// Two files side by side by default (one per core here): the e2e files spend most of their time in
// single-threaded TCG guests. H2K_TEST_CONCURRENCY=1 runs them one at a time.
const concurrency = Math.min(Number(process.env.H2K_TEST_CONCURRENCY) || 2, availableParallelism());
// What the files of one run share (test/e2e/shared-debian.ts: one conversion of the Debian
// fixture that several files assert on); removed when the run passes, unless H2K_KEEP_TEST_DIRS.
process.env.H2K_TEST_RUN_DIR = mkdtempSync(join(tmpdir(), 'h2k-run-'));
// node:test's run() starts the files in the order given (`node --test FILES` sorts them by name).
const stream = run({ files: selected, concurrency });
// A file is reported as a test of its own (named by its path): only the tests in it count as run.
let counted = 0;
const count = (d) => {
  if (!d.file?.endsWith(d.name)) counted++;
};
stream.on('test:pass', count);
stream.on('test:fail', (d) => {
  count(d);
  process.exitCode = 1;
});
stream.on('end', () => {
  if (counted === 0) {
    console.error('run-tests: no test ran');
    process.exitCode = 1;
  }
  if (!process.exitCode && !process.env.H2K_KEEP_TEST_DIRS)
    rmSync(process.env.H2K_TEST_RUN_DIR, { recursive: true, force: true });
});
// spec is a class on Node 20; should a later Node export a ready reporter instead, that is used.
const specReporter = () => {
  try {
    return new spec();
  } catch {
    return spec;
  }
};
stream.compose(specReporter()).pipe(process.stdout);
stream.compose(fileTimes).pipe(process.stderr);
