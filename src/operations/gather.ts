// Gathers the facts of each selected VM through its source's driver, and inspects each guest in
// one read-only appliance launch. Locating runs once per source (vSphere: a constant number of
// govc processes for any number of VMs); reading disks and inspecting obey -parallelism. A VM whose
// conversion has started and whose source is unchanged takes its last inspection's facts instead.
import { type SourceFingerprint, allocatedBytes } from '../model/facts.js';
import type { VmFacts } from '../model/plan.js';
import { inspectGuest } from '../guests/inspect.js';
import { inspectionHostInputs } from '../guests/registry.js';
import type { SourceVmFacts } from '../providers/driver.js';
import { sourceDriver } from '../providers/registry.js';
import type { Config, VmConfig } from '../schema/config.js';
import type { Diagnostic } from '../schema/diagnostics.js';
import { GuestfishError } from '../tools/guestfish.js';
import { UserError } from '../util/errors.js';
import { mapLimit } from '../util/map-limit.js';
import { cacheGuest, cachedGuest, factsKey } from './facts-cache.js';

export interface GatheredVm {
  vm: VmConfig;
  facts: VmFacts;
  fingerprint: SourceFingerprint;
}

export interface GatherOptions {
  parallelism: number;
  /** false: the control plane only: no disk reads and no guest launch (such plans cannot be applied). */
  inspect: boolean;
  progress: (msg: string) => void;
  /** Whether a VM's guest facts may come from its last inspection (facts-cache.ts) when its source
   *  is unchanged; absent: every VM is inspected. */
  reuse?: (address: string) => boolean;
}

/** Known failures become one line and a hint, prefixed with the VM or source they concern. */
async function asUserError<T>(address: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError) {
      const message = err.message.startsWith('source.') ? err.message : `${address}: ${err.message}`;
      throw new UserError(message, err.hint, err.exitCode);
    }
    if (err instanceof GuestfishError) {
      const hint = 'libguestfs could not open the disks; run with --debug, and `h2k doctor` to check the appliance';
      throw new UserError(`${address}: ${err.message}`, hint);
    }
    throw err;
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
    const gather = (t: (typeof tasks)[number]) =>
      asUserError(t.vm.address, async () => gatherOne(t.vm, await t.facts(), config.dir, opts));
    // Inspections launch an appliance each and obey -parallelism; inventory-only VMs cost nothing.
    return { vms: await mapLimit(tasks, opts.inspect ? opts.parallelism : 64, gather), problems };
  } finally {
    for (const c of closers) c();
  }
}

async function gatherOne(vm: VmConfig, s: SourceVmFacts, configDir: string, opts: GatherOptions): Promise<GatheredVm> {
  const facts: VmFacts = { source: s.source, disks: s.disks, hardware: s.hardware };
  if (!s.open) return { vm, facts, fingerprint: s.fingerprint };
  // Stamped before the launch: a virtio-win replaced during the inspection is read again next time.
  const key = factsKey(s, inspectionHostInputs(vm.policy, configDir));
  const cached = opts.reuse?.(vm.address) ? cachedGuest(configDir, vm.address, key) : undefined;
  if (cached) {
    opts.progress(`${vm.address}: the source is unchanged since its inspection at ${cached.inspected_at}: no launch`);
    return { vm, facts: { ...facts, guest: cached.guest }, fingerprint: s.fingerprint };
  }
  const started = Date.now();
  opts.progress(`${vm.address}: reading disks and inspecting the guest (one libguestfs launch)...`);
  const disks = await s.open();
  let guest;
  let bytes = 0;
  try {
    guest = await inspectGuest(
      disks.disks,
      { policy: vm.policy, configDir },
      s.disks.map((d) => d.wwn),
    );
  } catch (err) {
    throw await disks.explain(err);
  } finally {
    bytes = await disks.close();
  }
  cacheGuest(configDir, vm.address, key, guest);
  const took = ((Date.now() - started) / 1000).toFixed(1);
  opts.progress(`${vm.address}: inspected in ${took} s${readNote(bytes, allocatedBytes(s.disks))}`);
  return { vm, facts: { ...facts, guest }, fingerprint: s.fingerprint };
}

function readNote(bytes: number, allocated: number): string {
  if (bytes === 0) return '';
  const pct = ((100 * bytes) / Math.max(1, allocated)).toFixed(2);
  return (
    `, ${(bytes / 2 ** 20).toFixed(1)} MiB read remotely (${pct} % of ${(allocated / 2 ** 20).toFixed(0)} MiB ` +
    `allocated)`
  );
}
