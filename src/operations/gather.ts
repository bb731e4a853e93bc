// Gathers the facts of each selected VM through its source's driver, and inspects the guests in
// read-only appliance launches shared by up to -inspect-batch VMs. Locating runs once per source
// (vSphere: a constant number of govc processes for any number of VMs); reading disks and the
// launches obey -parallelism. A VM whose conversion has started and whose source is unchanged takes
// its last inspection's facts instead.
import { type SourceFingerprint, allocatedBytes } from '../model/facts.js';
import type { VmFacts } from '../model/plan.js';
import { inspectGuests } from '../guests/inspect.js';
import { inspectionHostInputs } from '../guests/registry.js';
import type { InspectionDisks, SourceVmFacts } from '../providers/driver.js';
import { sourceDriver } from '../providers/registry.js';
import type { Config, VmConfig } from '../schema/config.js';
import type { Diagnostic } from '../schema/diagnostics.js';
import { GuestfishError } from '../tools/guestfish.js';
import { UserError, asError } from '../util/errors.js';
import { drain, mapLimit } from '../util/map-limit.js';
import { cacheGuest, cachedGuest, factsKey } from './facts-cache.js';

export interface GatheredVm {
  vm: VmConfig;
  facts: VmFacts;
  fingerprint: SourceFingerprint;
}

export interface GatherOptions {
  parallelism: number;
  /** Guests inspected in one appliance launch (1: a launch per VM). */
  batch: number;
  /** false: the control plane only: no disk reads and no guest launch (such plans cannot be applied). */
  inspect: boolean;
  progress: (msg: string) => void;
  /** Whether a VM's guest facts may come from its last inspection (facts-cache.ts) when its source
   *  is unchanged; absent: every VM is inspected. */
  reuse?: (address: string) => boolean;
}

/** Known failures become one line and a hint, prefixed with the VM or source they concern. */
function userError(address: string, err: unknown): unknown {
  if (err instanceof UserError) {
    const message = err.message.startsWith('source.') ? err.message : `${address}: ${err.message}`;
    return new UserError(message, err.hint, err.exitCode);
  }
  if (err instanceof GuestfishError) {
    const hint = 'libguestfs could not open the disks; run with --debug, and `h2k doctor` to check the appliance';
    return new UserError(`${address}: ${err.message}`, hint);
  }
  return err;
}

async function asUserError<T>(address: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw userError(address, err);
  }
}

export interface Gathered {
  vms: GatheredVm[];
  /** Selector problems, pointing at the configuration (errors fail the plan after being shown). */
  problems: Diagnostic[];
}

/** Facts of every selected VM; discovery may turn one configured vm into many. */
export async function gatherVms(config: Config, vms: VmConfig[], opts: GatherOptions): Promise<Gathered> {
  const problems: Diagnostic[] = [];
  const closers: (() => void)[] = [];
  const tasks: { vm: VmConfig; facts: () => Promise<SourceVmFacts> }[] = [];
  try {
    for (const address of [...new Set(vms.map((v) => v.source))]) {
      const source = config.sources[address];
      const driver = sourceDriver(source.type);
      const located = await asUserError(address, () =>
        driver.locate(
          source,
          vms.filter((v) => v.source === address),
          { inspect: opts.inspect, progress: opts.progress },
        ),
      );
      closers.push(located.close);
      problems.push(...located.problems);
      tasks.push(...located.found);
    }
    if (problems.some((d) => d.severity === 'error')) return { vms: [], problems };
    // Facts first (bounded I/O), then the guests still to inspect, many per appliance launch.
    const prepared = await mapLimit(tasks, opts.inspect ? opts.parallelism : 64, (t) =>
      asUserError(t.vm.address, async () => prepare(t.vm, await t.facts(), config.dir, opts)),
    );
    const pending = prepared.filter((p): p is Pending => 'key' in p);
    const inspected = new Map<Pending, GatheredVm | Error>();
    // A VM with luks_keys opens its volumes under its crypttab's names: in a launch of its own, where
    // no other VM's volume can hold the name.
    const keyed = pending.filter((p) => p.vm.luks_keys);
    const shareable = pending.filter((p) => !p.vm.luks_keys);
    // A VM a shared launch leaves to a launch of its own goes back in the queue, to the first free
    // worker, rather than after the rest of its batch on the same one.
    await drain(
      [
        ...batches(shareable, opts.batch, opts.parallelism).map((vms): Batch => ({ vms, why: '' })),
        ...keyed.map((p): Batch => ({ vms: [p], why: '' })),
      ],
      opts.parallelism,
      async (b, more) => {
        for (const [p, why] of await inspectBatch(b, config.dir, opts, inspected)) more({ vms: [p], why });
      },
    );
    const out: GatheredVm[] = [];
    for (const p of prepared) {
      const r = 'key' in p ? inspected.get(p)! : p;
      if (r instanceof Error) throw userError(p.vm.address, r);
      out.push(r);
    }
    return { vms: out, problems };
  } finally {
    for (const c of closers) c();
  }
}

/** VMs for one launch; `why` a VM is alone in its launch when a shared one left it out. */
interface Batch {
  vms: Pending[];
  why: string;
}

/** A VM whose guest is still to be inspected. */
interface Pending extends GatheredVm {
  source: SourceVmFacts;
  key: string;
}

/** A VM's facts, with its guest's when there is no guest to read or its last inspection stands. */
async function prepare(
  vm: VmConfig,
  s: SourceVmFacts,
  configDir: string,
  opts: GatherOptions,
): Promise<GatheredVm | Pending> {
  const facts: VmFacts = { source: s.source, disks: s.disks, hardware: s.hardware };
  if (!s.open) return { vm, facts, fingerprint: s.fingerprint };
  // Stamped before the launch: a virtio-win replaced during the inspection is read again next time.
  // Which volumes have a passphrase decides what inspection can read (a changed passphrase does not).
  const luks = Object.keys(vm.luks_keys ?? {}).sort();
  const key = factsKey(s, `${inspectionHostInputs(vm.policy, configDir)}${luks.length ? ` luks:${luks}` : ''}`);
  const cached = opts.reuse?.(vm.address) ? cachedGuest(configDir, vm.address, key) : undefined;
  if (!cached) return { vm, facts, fingerprint: s.fingerprint, source: s, key };
  opts.progress(`${vm.address}: the source is unchanged since its inspection at ${cached.inspected_at}: no launch`);
  return { vm, facts: { ...facts, guest: cached.guest }, fingerprint: s.fingerprint };
}

/** PURE: VMs in groups for a launch each, in order: at most `size` VMs and DISKS_PER_LAUNCH disks
 *  (a VM with more has a launch of its own), and at least `parallel` groups while there are VMs for
 *  them — one appliance reads its guests one after another on one vCPU, so a single launch for all
 *  would leave the other launches' cores idle. */
export function batches<T extends { source: { disks: unknown[] } }>(items: T[], size: number, parallel: number): T[][] {
  const groups = Math.max(Math.ceil(items.length / size), Math.min(parallel, items.length));
  const per = Math.ceil(items.length / Math.max(1, groups));
  const out: T[][] = [];
  for (const item of items) {
    const last = out.at(-1);
    const disks = (last ?? []).reduce((n, i) => n + i.source.disks.length, 0) + item.source.disks.length;
    if (last && last.length < per && disks <= DISKS_PER_LAUNCH) last.push(item);
    else out.push([item]);
  }
  return out;
}

/** Appliance disks per shared launch: sda–sdx, leaving the appliance's own. */
const DISKS_PER_LAUNCH = 24;

/** Opens the batch's disks, inspects its guests in one launch (inspectGuests), closes the disks;
 *  returns the VMs left to a launch of their own, with why. */
async function inspectBatch(
  { vms: batch, why }: Batch,
  configDir: string,
  opts: GatherOptions,
  results: Map<Pending, GatheredVm | Error>,
): Promise<[Pending, string][]> {
  const started = Date.now();
  const names = batch.map((p) => p.vm.address);
  opts.progress(
    batch.length === 1
      ? `${names[0]}: reading disks and inspecting the guest (one libguestfs launch)...`
      : `inspecting ${batch.length} guests in one libguestfs launch (${names.join(', ')})...`,
  );
  const opened: { p: Pending; disks: InspectionDisks }[] = [];
  for (const p of batch)
    try {
      opened.push({ p, disks: await p.source.open!() });
    } catch (err) {
      results.set(p, asError(err));
    }
  const how = new Map<Pending, string>();
  let alone = new Map<number, string>();
  try {
    alone = await inspectGuests(
      opened.map(({ p, disks }) => ({
        disks: disks.disks,
        wwns: p.source.disks.map((d) => d.wwn),
        host: { policy: p.vm.policy, configDir, ...(disks.remote ? { remote: true } : {}) },
        ...(p.vm.luks_keys ? { keys: p.vm.luks_keys } : {}),
      })),
      (i, guest, note) => {
        const { p } = opened[i];
        const said = note || why;
        how.set(p, said ? `; ${said}` : '');
        if (guest instanceof Error) return void results.set(p, guest);
        cacheGuest(configDir, p.vm.address, p.key, guest);
        results.set(p, { vm: p.vm, facts: { ...p.facts, guest }, fingerprint: p.fingerprint });
      },
    );
  } finally {
    for (const { p, disks } of opened) {
      const bytes = await disks.close();
      const r = results.get(p);
      if (r instanceof Error) results.set(p, asError(await disks.explain(r)));
      else if (r) {
        const took = ((Date.now() - started) / 1000).toFixed(1);
        opts.progress(
          `${p.vm.address}: inspected in ${took} s${readNote(bytes, allocatedBytes(p.source.disks))}${how.get(p)}`,
        );
      }
    }
  }
  return [...alone].map(([i, w]): [Pending, string] => [opened[i].p, w]);
}

function readNote(bytes: number, allocated: number): string {
  if (bytes === 0) return '';
  const pct = ((100 * bytes) / Math.max(1, allocated)).toFixed(2);
  return (
    `, ${(bytes / 2 ** 20).toFixed(1)} MiB read remotely (${pct} % of ${(allocated / 2 ** 20).toFixed(0)} MiB ` +
    `allocated)`
  );
}
