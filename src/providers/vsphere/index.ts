// vSphere through govc and the datastore's HTTPS /folder endpoint: the inventory is read once per
// source (a constant number of govc processes), each VM's chain is read with Range requests and
// inspected through nbdkit without downloading; FETCH copies the chain before FLATTEN.
import type { VmPlan } from '../../model/plan.js';
import type { InventoryFacts } from '../../model/source-facts.js';
import { resolveChain } from '../disk-chain/file-reader.js';
import type { SourceDriver } from '../driver.js';
import { asVsphere, vsphereSchema } from './config.js';
import { DatastoreClient } from './datastore.js';
import { fetchVm, fetchedEntries } from './fetch.js';
import { inventoryFindings } from './findings.js';
import { Govc } from './govc.js';
import { locateVms } from './select.js';
import { vsphereVmFacts } from './vm-facts.js';

function inventoryOf(vm: VmPlan): InventoryFacts {
  const s = vm.facts.source;
  if (s.type !== 'vsphere') throw new Error(`${vm.address}: the plan holds no vSphere inventory`);
  return s.inventory;
}

export const vsphere: SourceDriver = {
  type: 'vsphere',
  schema: vsphereSchema,
  async locate(source, vms, opts) {
    const src = asVsphere(source);
    const govc = new Govc(src);
    const http = new DatastoreClient(src);
    const close = () => {
      govc.close();
      http.close();
    };
    try {
      opts.progress(`${src.address}: reading the inventory of ${src.url}...`);
      const started = Date.now();
      const { located, problems } = await locateVms(govc, src, vms);
      opts.progress(
        `${src.address}: ${located.length} VM(s) located in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const found = located.map((l) => ({
        vm: l.vm,
        facts: () => vsphereVmFacts(http, l.inventory, { inspect: opts.inspect }),
      }));
      return { found, problems, close };
    } catch (err) {
      close();
      throw err;
    }
  },
  findings: (facts, policy) => (facts.type === 'vsphere' ? inventoryFindings(facts.inventory, policy) : []),
  fetch: {
    summary: 'download the disks from the datastore',
    run: (input) =>
      fetchVm({
        source: asVsphere(input.source),
        inventory: inventoryOf(input.vm),
        disks: input.vm.facts.disks,
        fingerprint: input.vm.source.fingerprint,
        policy: input.policy,
        dir: input.dir,
        configDir: input.configDir,
        onStep: input.onStep,
        onProgress: input.onProgress,
      }),
  },
  // FETCH checks the datastore against the plan before it copies anything.
  checkUnchanged: async () => undefined,
  async diskEntries(_source, vm, fetchDir) {
    const entries = fetchedEntries(fetchDir, vm.facts.disks);
    // A fetched chain passes the same hostile-layout checks as a local one before qemu reads it.
    for (const e of entries) await resolveChain(e.path, { allowAbsolute: false });
    return entries;
  },
};
