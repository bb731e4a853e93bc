// Gathers the facts of each VM from its source: disks and fingerprint, one read-only inspection
// launch, and the hardware the KVM guest gets. Everything the pure planner needs, and nothing else.
// vSphere sources read their inventory once for all their VMs (a constant number of govc
// processes), then each VM is inspected remotely.
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { paintFor } from '../render/paint.js';
import { renderDiagnostics } from '../render/diagnostics.js';
import type { SourceFingerprint, VmFacts } from '../model/plan.js';
import type { Config, LocalSourceConfig, VmConfig, VsphereSourceConfig } from '../schema/config.js';
import type { Diagnostic } from '../schema/diagnostics.js';
import { SourceFile } from '../schema/source-file.js';
import { GuestfishError } from '../tools/guestfish.js';
import { InspectionError, inspectGuest } from '../guests/linux/inspect.js';
import { kvmHardware } from '../planner/kvm-hardware.js';
import { DiskChainError } from '../providers/vmdk/chain.js';
import { localDisks } from '../providers/local/disk-facts.js';
import { DatastoreClient } from '../providers/vsphere/datastore.js';
import { Govc, VsphereError } from '../providers/vsphere/govc.js';
import { locateVms } from '../providers/vsphere/select.js';
import { vsphereVmFacts } from '../providers/vsphere/vm-facts.js';

export interface GatheredVm {
  vm: VmConfig;
  sourceType: 'local' | 'vsphere';
  facts: VmFacts;
  fingerprint: SourceFingerprint;
  remoteRead?: { bytes: number; allocated: number };
}

/** Known failures become one line and a hint, prefixed with the VM they concern. */
async function asUserError<T>(address: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DiskChainError || err instanceof InspectionError || err instanceof VsphereError) {
      throw new UserError(err.message.startsWith('source.') ? err.message : `${address}: ${err.message}`, err.hint);
    }
    if (err instanceof GuestfishError)
      throw new UserError(
        `${address}: ${err.message}`,
        'libguestfs could not open the disks; run with --debug, and `h2k doctor` to check the appliance',
      );
    throw err;
  }
}

async function gatherLocal(source: LocalSourceConfig, vm: VmConfig): Promise<GatheredVm> {
  return asUserError(vm.address, async () => {
    const disks = await localDisks(source, vm.disks ?? []);
    const guest = await inspectGuest(disks.paths.map((d) => ({ path: d.path, format: d.format })));
    return {
      vm,
      sourceType: 'local',
      fingerprint: disks.fingerprint,
      facts: {
        disks: disks.facts,
        guest,
        hardware: kvmHardware(vm, { cpus: 2, memoryMiB: 2048, firmware: guest.firmware, nics: [] }),
      },
    };
  });
}

export interface GatherOptions {
  parallelism: number;
  /** false: vSphere inventory only, no datastore reads and no guest launch (such plans cannot be applied). */
  inspect: boolean;
  progress: (msg: string) => void;
}

/** Facts of every selected VM; discovery may turn one configured vm into many. */
export async function gatherVms(config: Config, vms: VmConfig[], opts: GatherOptions): Promise<GatheredVm[]> {
  const tasks: { address: string; heavy: boolean; run: () => Promise<GatheredVm> }[] = [];
  const problems: Diagnostic[] = [];
  const closers: (() => void)[] = [];
  try {
    for (const vm of vms) {
      const src = config.sources[vm.source];
      if (src.type === 'local') tasks.push({ address: vm.address, heavy: true, run: () => gatherLocal(src, vm) });
    }
    const vsphereSources = [
      ...new Set(vms.filter((v) => config.sources[v.source].type === 'vsphere').map((v) => v.source)),
    ];
    for (const address of vsphereSources) {
      const source = config.sources[address] as VsphereSourceConfig;
      const govc = new Govc(source);
      const http = new DatastoreClient(source);
      closers.push(
        () => govc.close(),
        () => http.close(),
      );
      opts.progress(`${address}: reading the inventory of ${source.url}...`);
      const started = Date.now();
      const { located, problems: p } = await asUserError(address, () =>
        locateVms(
          govc,
          source,
          vms.filter((v) => v.source === address),
        ),
      );
      problems.push(...p);
      opts.progress(`${address}: ${located.length} VM(s) located in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const l of located) {
        tasks.push({
          address: l.vm.address,
          heavy: opts.inspect,
          run: () =>
            asUserError(l.vm.address, async () => ({
              vm: l.vm,
              sourceType: 'vsphere' as const,
              ...(await vsphereVmFacts(http, l.vm, l.inventory, { inspect: opts.inspect })),
            })),
        });
      }
    }
    if (problems.length) {
      const files = new Map(
        problems.flatMap((d) =>
          d.range
            ? [[d.range.filename, new SourceFile(d.range.filename, readFileSync(d.range.filename, 'utf8'))] as const]
            : [],
        ),
      );
      process.stderr.write(`${renderDiagnostics(problems, files, paintFor(process.stderr))}\n`);
      if (problems.some((d) => d.severity === 'error'))
        throw new UserError(
          'the configuration selects VMs that the inventory does not have (see above)',
          'fix the selectors; `govc find / -type m` lists the VMs of a vCenter',
        );
    }
    // Inspections launch an appliance each and obey -parallelism; inventory-only VMs cost nothing.
    const gather = async (t: (typeof tasks)[number]) => {
      const started = Date.now();
      if (t.heavy) opts.progress(`${t.address}: reading disks and inspecting the guest (one libguestfs launch)...`);
      const g = await t.run();
      if (t.heavy)
        opts.progress(
          `${t.address}: inspected in ${((Date.now() - started) / 1000).toFixed(1)} s${g.remoteRead ? `, ${(g.remoteRead.bytes / 2 ** 20).toFixed(1)} MiB read remotely (${((100 * g.remoteRead.bytes) / Math.max(1, g.remoteRead.allocated)).toFixed(2)} % of ${(g.remoteRead.allocated / 2 ** 20).toFixed(0)} MiB allocated)` : ''}`,
        );
      return g;
    };
    const [heavy, light] = await Promise.all([
      mapLimit(
        tasks.filter((t) => t.heavy),
        opts.parallelism,
        gather,
      ),
      mapLimit(
        tasks.filter((t) => !t.heavy),
        64,
        gather,
      ),
    ]);
    return [...heavy, ...light];
  } finally {
    for (const c of closers) c();
  }
}

/** Runs fn over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
