// Local disk files (VMDK or any format qemu reads): the chain is read and checked where it lies,
// the guest is inspected from those files, and FLATTEN puts overlays right on them.
import { resolve } from 'node:path';
import { changedFiles } from '../../model/facts.js';
import type { SourceConfig } from '../../schema/config.js';
import { UserError } from '../../util/errors.js';
import type { SourceDriver } from '../driver.js';
import { localDisks } from './disk-facts.js';
import { type LocalSourceConfig, asLocal, localSchema } from './config.js';

async function fingerprintNow(src: LocalSourceConfig, disks: string[], address: string) {
  try {
    return (await localDisks(src, disks)).fingerprint;
  } catch (err) {
    const hint = 'restore the source disk, or plan again';
    throw new UserError(`${address}: the source can no longer be read: ${(err as Error).message}`, hint);
  }
}

export const local: SourceDriver = {
  type: 'local',
  schema: localSchema,
  async locate(source: SourceConfig, vms, opts) {
    const src = asLocal(source);
    const found = vms.map((vm) => ({
      vm,
      async facts() {
        const disks = await localDisks(src, vm.disks ?? []);
        return {
          source: { type: 'local' as const },
          disks: disks.facts,
          hardware: { nics: [] },
          fingerprint: disks.fingerprint,
          ...(opts.inspect
            ? { open: async () => ({ disks: disks.paths, explain: async (e: unknown) => e, close: async () => 0 }) }
            : {}),
        };
      },
    }));
    return { found, problems: [], close: () => undefined };
  },
  findings: () => [],
  async checkUnchanged(source, vm, cfgVm) {
    const now = await fingerprintNow(asLocal(source), cfgVm.disks ?? [], vm.address);
    const changed = changedFiles(vm.source.fingerprint.files, now.files);
    if (changed.length === 0 && now.descriptor_sha256 === vm.source.fingerprint.descriptor_sha256) return;
    const what = changed.length ? changed.join(', ') : 'the disk chain';
    const hint = 'the guest may have been powered on or the disk replaced: run h2k plan again';
    throw new UserError(`${vm.address}: the source changed since the plan was made (${what})`, hint);
  },
  async diskEntries(source, vm) {
    const src = asLocal(source);
    return vm.facts.disks.map((d) => ({ path: resolve(src.directory, d.chain[0].file), format: d.chain[0].format }));
  },
};
