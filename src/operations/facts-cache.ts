// The guest facts of each VM's last inspection, kept under <config>/.h2k/facts/, so that planning a
// VM whose conversion has started (its INSPECT stage is done) launches no appliance while its
// source is unchanged: drift checks and resumed applies of a converted fleet cost no TCG boot.
// An entry is used only under the key it was written with: the same h2k build, the same source
// facts (a vSphere VM's inventory, change version and power state included), the same disk chains
// and the same fingerprint (sizes, times, sampled hashes: what apply's INSPECT stage checks), and
// the same stamp of the host files inspection reads besides the disks (Windows: virtio-win, whose
// drivers the facts list). It is a cache: a missing, unreadable or unwritable entry costs a launch.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GuestFacts } from '../model/guest-facts.js';
import type { SourceVmFacts } from '../providers/driver.js';
import { stateDir } from '../state/local/paths.js';
import { writeFileAtomic } from '../util/files.js';
import { hashOf, sha256 } from '../util/hash.js';

interface Entry {
  key: string;
  inspected_at: string;
  guest: GuestFacts;
}

let program: string | undefined;

/** sha256 over h2k's own compiled code: facts from another build may differ (its inspection did). Run
 *  as the CLI, this module is part of the bundle (dist/h2k.mjs, scripts/bundle.mjs), the whole
 *  program in one file; imported by the tests, it is one of the .js files under dist/src. */
function programHash(): string {
  if (program) return program;
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.mjs')) return (program = sha256(readFileSync(self)));
  const root = dirname(dirname(self));
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)))
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.js')) files.push(join(d, e.name));
  };
  walk(root);
  program = hashOf(files.map((f) => [f.slice(root.length), sha256(readFileSync(f))]));
  return program;
}

/** Everything the inspection of these disks depends on besides their content's fingerprint; `host`
 *  stamps the host files inspection reads under the VM's policy (guests/registry.ts). */
export function factsKey(s: SourceVmFacts, host: string): string {
  return hashOf({ program: programHash(), source: s.source, disks: s.disks, fingerprint: s.fingerprint, host });
}

const entryPath = (configDir: string, address: string) =>
  join(stateDir(configDir), 'facts', `${sha256(address).slice(0, 24)}.json`);

/** The facts recorded under this key, with when they were read; undefined when there are none. */
export function cachedGuest(configDir: string, address: string, key: string): Entry | undefined {
  try {
    const e = JSON.parse(readFileSync(entryPath(configDir, address), 'utf8')) as Entry;
    return e.key === key && e.guest ? e : undefined;
  } catch {
    return undefined;
  }
}

export function cacheGuest(configDir: string, address: string, key: string, guest: GuestFacts): void {
  const entry: Entry = { key, inspected_at: new Date().toISOString(), guest };
  try {
    writeFileAtomic(entryPath(configDir, address), JSON.stringify(entry));
  } catch {
    // A full or read-only .h2k: the next plan inspects again, which is all the cache saves.
  }
}
