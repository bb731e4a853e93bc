// Work on the Debian fixture done once per test run and shared by every file that asserts on it:
//   - its uninterrupted plan + apply: local-debian holds it as its subject (goldens, apply, boot
//     evidence, re-plans, drift), and the fleet and faults files compare what their interrupted runs
//     left in the guest with its guest content, instead of converting the guest once more each only
//     to have a reference;
//   - the boot of the unfixed disk on virtio (it must fail): local-debian asserts it, and the fleet
//     for its VMware-left variant, whose boot chain is the same bytes.
// Whichever file asks first makes it (the others wait for its record); the run's directory comes
// from scripts/run-tests.mjs (H2K_TEST_RUN_DIR, removed when the run passes), and a file run on its
// own makes its own.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha256 } from '../../src/util/files.js';
import { processAlive } from '../../src/util/processes.js';
import { debianFixture } from '../fixtures/debian-guest.js';
import { h2k, tempDir } from '../helpers.js';
import { fixedPaths, guestContent } from './kill-anywhere.js';
import { bootUnfixed } from './unfixed-boot.js';

const DEBIAN_DISK = 'debian-vmware-sparse.vmdk';

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface DebianConversion {
  /** The configuration directory (plan.json, .h2k/, out/debian.qcow2 and .xml). */
  dir: string;
  /** The directory holding the source: a copy of the fixture's disk (local-debian changes its time). */
  disks: string;
  source: string;
  sourceSha: string;
  plan: Run;
  apply: Run;
  /** Wall seconds of the plan and the apply together, and of the apply's VALIDATE (the boot test). */
  seconds: number;
  validateSeconds: number;
  /** The paths FIX changed, and what the converted guest holds there (kill-anywhere.ts guestContent). */
  paths: string[];
  content: Record<string, string>;
  /** The configuration directory as the apply left it, without disk images: the state, its audit
   *  journal and kept plans, the boot's screenshot and console, the outputs' files and report.html
   *  (local-debian's later tests change `dir`; a report of the apply is read from here). */
  afterApply: string;
}

const debianConfig = (disks: string) => ({
  'main.h2k.hcl': `source "local" "fx" {
  directory = "${disks}"
}

policy "p" {
  output_dir   = "./out"
  boot_timeout = 900

  # The fixture's own application (inventory-web.service, busybox httpd on :8080).
  check "http" {
    url           = "http://localhost:8080/health"
    expect_status = 200
  }
  check "tcp" { port = 8080 }
  check "unit" { name = "inventory-web.service" }
  check "command" { run = "test -s /srv/inventory/health" }
}

vm "debian" {
  source = source.local.fx
  disks  = ["${DEBIAN_DISK}"]
  policy = policy.p
  cpus   = 2
  memory = 1024
  nics   = [{ mac = "00:50:56:8a:12:34", network = "default" }]
}
`,
});

export interface UnfixedBoot {
  passed: boolean;
  failure?: string;
  /** The guest's serial console. */
  serial: string;
}

/** The run's conversion of the Debian fixture. */
export const debianConversion = () => once('debian-conversion', convert);

/** The run's boot of the Debian fixture's disk as it is, unfixed, on KVM's virtio hardware. */
export const debianUnfixedBoot = () =>
  once('debian-unfixed-boot', async (): Promise<UnfixedBoot> => {
    const v = await bootUnfixed({
      images: [join(await debianFixture(), DEBIAN_DISK)],
      guest: { root: '/dev/sda1', bootloader: '/boot/grub/grub.cfg' },
    });
    return {
      passed: v.passed,
      ...(v.failure ? { failure: v.failure } : {}),
      serial: readFileSync(v.serialLog, 'latin1'),
    };
  });

const mine = new Map<string, Promise<unknown>>();

/** NAME's record, made by this process (in BASE, a directory of its own) if no other file claimed it. */
function once<T>(name: string, make: (base: string) => Promise<T>): Promise<T> {
  if (!mine.has(name)) mine.set(name, shared(name, make));
  return mine.get(name) as Promise<T>;
}

let root: string | undefined;

async function shared<T>(name: string, make: (base: string) => Promise<T>): Promise<T> {
  root ??= process.env.H2K_TEST_RUN_DIR ?? tempDir('h2k-run-');
  const record = join(root, `${name}.json`);
  const claim = join(root, `${name}.claim`);
  try {
    mkdirSync(claim);
  } catch {
    return waitFor(name, record, claim);
  }
  writeFileSync(join(claim, 'pid'), String(process.pid));
  try {
    const made = await make(join(root, name));
    writeFileSync(`${record}.partial`, JSON.stringify(made));
    renameSync(`${record}.partial`, record);
    return made;
  } catch (err) {
    writeFileSync(join(claim, 'failed'), String((err as Error).stack ?? err));
    throw err;
  }
}

/** Another test file's record once written; its failure, or its end without one. */
async function waitFor<T>(name: string, record: string, claim: string): Promise<T> {
  for (;;) {
    if (existsSync(record)) return JSON.parse(readFileSync(record, 'utf8'));
    if (existsSync(join(claim, 'failed')))
      throw new Error(`the shared ${name} failed in another test file:\n${readFileSync(join(claim, 'failed'))}`);
    const pid = Number(existsSync(join(claim, 'pid')) ? readFileSync(join(claim, 'pid'), 'utf8') : NaN);
    if (pid && !processAlive(pid) && !existsSync(record))
      throw new Error(`the test file making the shared ${name} (pid ${pid}) ended without it`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function convert(base: string): Promise<DebianConversion> {
  const disks = join(base, 'disks');
  const dir = join(base, 'config');
  mkdirSync(disks, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const source = join(disks, DEBIAN_DISK);
  copyFileSync(join(await debianFixture(), DEBIAN_DISK), source);
  const sourceSha = await fileSha256(source);
  for (const [name, text] of Object.entries(debianConfig(disks))) writeFileSync(join(dir, name), text);
  const started = Date.now();
  const run = (r: { exitCode?: number; stdout: unknown; stderr: unknown }): Run => ({
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  });
  const planFile = join(dir, 'plan.json');
  const plan = run(await h2k(['plan', dir, '-out', planFile, '-detailed-exitcode', '--no-color']));
  if (plan.exitCode !== 2) throw new Error(`the shared Debian plan failed (exit ${plan.exitCode}):\n${plan.stderr}`);
  const apply = run(await h2k(['apply', planFile, '--no-color']));
  const seconds = (Date.now() - started) / 1000;
  if (apply.exitCode !== 0) throw new Error(`the shared Debian apply failed:\n${apply.stderr}`);
  const validateSeconds = Number(/validate: done in ([\d.]+) s/.exec(apply.stderr)?.[1] ?? 0);
  const paths = fixedPaths(JSON.parse(readFileSync(planFile, 'utf8')), 'vm.debian');
  const afterApply = join(base, 'after-apply');
  cpSync(dir, afterApply, { recursive: true, filter: (f) => !/\.(qcow2|raw|fd)$/.test(f) });
  const content = await guestContent(join(dir, 'out', 'debian.qcow2'), paths);
  return { dir, disks, source, sourceSha, plan, apply, seconds, validateSeconds, paths, content, afterApply };
}
