// FETCH: a vSphere VM's disk chains copied into <config>/.h2k/fetch/<vm>/disk<N>/ over the
// datastore's HTTPS /folder endpoint. Before copying, the VM is checked against the plan (same VM,
// powered off — or shut down when the policy allows — and the same chain). Each file downloads
// to .partial and resumes with a Range request after an interruption; its size is verified and
// its sha256 recorded. `govc datastore.download` is the fallback when the endpoint refuses a GET.
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DiskFacts, type SourceFingerprint, changedFiles } from '../../model/facts.js';
import type { InventoryFacts } from '../../model/source-facts.js';
import type { OutputRecord } from '../../model/state.js';
import { DatastoreClient, HttpStatusError } from './datastore.js';
import { Govc, VsphereError } from './govc.js';
import { inventoryFacts, parseDatastorePath, siblingOf, virtualMachines } from './inventory.js';
import { chainFile } from './remote-chain.js';
import { remoteDiskFacts } from './vm-facts.js';
import type { PolicySettings } from '../../schema/config-schema.js';
import type { VsphereSourceConfig } from './config.js';
import { mapLimit } from '../../util/map-limit.js';
import { configRelative, fileSha256 } from '../../util/files.js';
import { progressMeter } from '../../util/progress-meter.js';

/** Files downloaded at once per VM: enough to hide latency, few enough not to thrash the datastore. */
const FILES_AT_ONCE = 2;

export interface VsphereFetchInput {
  source: VsphereSourceConfig;
  inventory: InventoryFacts;
  disks: DiskFacts[];
  fingerprint: SourceFingerprint;
  policy: PolicySettings;
  /** Where the copies go; disk N's files in disk<N>/. */
  dir: string;
  configDir: string;
  onStep: (message: string) => void;
  onProgress: (message: string) => void;
}

/** Disk N's fetched top file. */
export function fetchedEntries(dir: string, disks: DiskFacts[]): { path: string; format: string }[] {
  return disks.map((d, i) => ({ path: join(dir, `disk${i}`, d.chain[0].file), format: 'vmdk' }));
}

async function currentInventory(govc: Govc, path: string): Promise<InventoryFacts> {
  const list = virtualMachines(await govc.json(['vm.info', '-json', path]));
  if (list.length !== 1)
    throw new VsphereError(
      `${govc.source.address}: the VM ${path} is gone from the inventory`,
      'it was moved, renamed or deleted since the plan; plan again',
    );
  return inventoryFacts(list[0], path);
}

async function shutDown(
  govc: Govc,
  inv: InventoryFacts,
  timeoutSec: number,
  onStep: (m: string) => void,
): Promise<void> {
  onStep(`shutting down ${inv.path} (guest shutdown, at most ${timeoutSec} s)`);
  await govc.run(['vm.power', '-s', inv.path]);
  const deadline = Date.now() + timeoutSec * 1000;
  while (Date.now() < deadline) {
    if ((await currentInventory(govc, inv.path)).power_state === 'poweredOff') return;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new VsphereError(
    `${inv.path} did not shut down within ${timeoutSec} s`,
    'shut the guest down yourself (or raise power_off_timeout), then run h2k apply again',
  );
}

export async function fetchVm(
  input: VsphereFetchInput,
): Promise<{ outputs: OutputRecord[]; note: string; details: Record<string, unknown> }> {
  const { source, inventory: planned } = input;
  const govc = new Govc(source);
  const http = new DatastoreClient(source);
  try {
    const now = await currentInventory(govc, planned.path);
    if (now.instance_uuid !== planned.instance_uuid)
      throw new VsphereError(
        `${planned.path} is another VM than the one planned (instance UUID ${now.instance_uuid}, planned ` +
          `${planned.instance_uuid})`,
        'plan again',
      );
    let poweredOff = false;
    if (now.power_state !== 'poweredOff') {
      if (!input.policy.allow_power_off)
        throw new VsphereError(
          `${planned.path} is ${now.power_state}`,
          'shut it down, or set allow_power_off = true in its policy; then run h2k apply again',
        );
      await shutDown(govc, now, input.policy.power_off_timeout, input.onStep);
      poweredOff = true;
    }
    // The chains read again, the way the plan read them: same disks, same fingerprint entries.
    const { chains, disks, fingerprint } = await remoteDiskFacts(http, planned);
    for (const [i, disk] of input.disks.entries()) {
      const planFiles = disk.chain.map((l) => l.file).join(' ← ');
      const nowFiles = disks[i]?.chain.map((l) => l.file).join(' ← ') ?? '(no disk)';
      if (planFiles !== nowFiles)
        throw new VsphereError(
          `the disk chain of ${disk.name} changed since the plan (${planFiles} → ${nowFiles})`,
          'a snapshot was taken or removed; plan again',
        );
    }
    // Shutting the guest down writes its disks: only then may they differ from the plan's.
    const changed = poweredOff ? [] : changedFiles(input.fingerprint.files, fingerprint.files);
    if (changed.length)
      throw new VsphereError(
        `${changed[0]} changed since the plan was made`,
        'the VM ran or its disk was replaced; plan again',
      );
    const files = chains.flatMap((chain, i) => {
      const { datastore } = parseDatastorePath(input.disks[i].name);
      return chain.layers
        .flatMap((l) => l.files)
        .map((f) => {
          const { path, url } = chainFile(source, chain.dir, f.file);
          return {
            url,
            dest: join(input.dir, `disk${i}`, f.file),
            size: f.size,
            shown: siblingOf(input.disks[i].name, f.file),
            ds: { datastore, path },
          };
        });
    });
    const total = files.reduce((n, f) => n + f.size, 0);
    let resumed = 0;
    let viaGovc = 0;
    const started = Date.now();
    const outputs = await mapLimit(files, FILES_AT_ONCE, async (f): Promise<OutputRecord> => {
      mkdirSync(join(f.dest, '..'), { recursive: true });
      const rel = configRelative(f.dest, input.configDir);
      if (existsSync(f.dest) && statSync(f.dest).size === f.size)
        return { path: rel, size: f.size, sha256: await fileSha256(f.dest) };
      const have = existsSync(`${f.dest}.partial`) ? statSync(`${f.dest}.partial`).size : 0;
      input.onStep(
        `downloading ${f.shown} (${(f.size / 2 ** 20).toFixed(0)} ` +
          `MiB${have ? `, resuming at ${(have / 2 ** 20).toFixed(0)} MiB` : ''})`,
      );
      const meter = progressMeter(f.size, 'bytes', { resumedAt: have });
      try {
        const r = await http.download(f.url, f.dest, {
          size: f.size,
          onProgress: (done) => input.onProgress(`${f.shown}: ${meter(done)}`),
        });
        resumed += r.resumedFrom;
        return { path: rel, size: f.size, sha256: r.sha256 };
      } catch (err) {
        // The endpoint answered this GET with an HTTP error: govc, with its own session, may still
        // get the file. Not for a missing file, a TLS problem or an unreachable host.
        if (!(err instanceof HttpStatusError) || err.status === 404) throw err;
        input.onStep(`${f.shown}: HTTPS GET refused (HTTP ${err.status}); falling back to govc datastore.download`);
        await govc.run(['datastore.download', '-ds', f.ds.datastore, f.ds.path, `${f.dest}.partial`], {
          timeoutMs: 24 * 3600_000,
        });
        viaGovc++;
        const size = statSync(`${f.dest}.partial`).size;
        if (size !== f.size)
          throw new VsphereError(`govc downloaded ${size} of ${f.size} bytes of ${f.shown}`, 'run h2k apply again');
        renameSync(`${f.dest}.partial`, f.dest);
        return { path: rel, size: f.size, sha256: await fileSha256(f.dest) };
      }
    });
    const seconds = (Date.now() - started) / 1000;
    const mib = total / 2 ** 20;
    return {
      outputs,
      note: [
        `${files.length} file(s), ${mib.toFixed(0)} MiB in ${seconds.toFixed(1)} s`,
        resumed ? `, resumed after ${(resumed / 2 ** 20).toFixed(0)} MiB` : '',
        viaGovc ? `, ${viaGovc} via govc` : '',
        poweredOff ? '; the VM was shut down first' : '',
      ].join(''),
      details: {
        bytes: total,
        seconds: Number(seconds.toFixed(1)),
        resumed_from: resumed,
        via_govc: viaGovc,
        powered_off: poweredOff,
      },
    };
  } finally {
    http.close();
    govc.close();
  }
}
