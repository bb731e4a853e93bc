// Standalone ESXi hosts over SSH (no vCenter): one connection per source (SFTP + exec), VMs found
// by vim-cmd or by their .vmx files, chains read over SFTP and inspected through nbdkit's ssh
// plugin without downloading; FETCH copies the chain with OpenSSH's client, resuming where it stopped.
import type { VmPlan } from '../../model/plan.js';
import type { EsxiSourceFacts } from '../../model/source-facts.js';
import type { Diagnostic } from '../../schema/diagnostics.js';
import { resolveChain } from '../disk-chain/file-reader.js';
import type { SourceDriver } from '../driver.js';
import { asEsxi, esxiSchema } from './config.js';
import { fetchEsxiVm, fetchedEntries } from './fetch.js';
import { type EsxiVm, hostPath, readVm, vmxFiles } from './inventory.js';
import { EsxiSession } from './ssh.js';
import { esxiVmFacts } from './vm-facts.js';

function factsOf(vm: VmPlan): EsxiSourceFacts {
  if (vm.facts.source.type !== 'esxi') throw new Error(`${vm.address}: the plan holds no ESXi facts`);
  return vm.facts.source;
}

export const esxi: SourceDriver = {
  type: 'esxi',
  schema: esxiSchema,
  async locate(source, vms, opts) {
    const src = asEsxi(source);
    const session = await EsxiSession.connect(src);
    try {
      const started = Date.now();
      opts.progress(`${src.address}: listing the VMs of ${src.host}...`);
      const { files, via } = await vmxFiles(session);
      const all: EsxiVm[] = [];
      for (const f of files) all.push(await readVm(session, f));
      opts.progress(
        `${src.address}: ${all.length} VM(s) found by ${via} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const problems: Diagnostic[] = [];
      const found = [];
      for (const vm of vms) {
        const hits =
          vm.path !== undefined
            ? all.filter((v) => v.facts.path === vm.path)
            : all.filter((v) => v.facts.name === vm.name);
        const what = vm.path !== undefined ? `path "${vm.path}"` : `name "${vm.name}"`;
        if (hits.length !== 1) {
          const known = all.map((v) => `${v.facts.name} (${v.facts.path})`).join(', ') || 'none';
          const detail = hits.length
            ? `${hits.length} VMs on ${src.host} have ${what}: ${hits.map((h) => h.facts.path).join(', ')}. ` +
              'Select it by "path".'
            : `No VM with ${what} on ${src.host}. Its VMs: ${known}.`;
          problems.push({
            severity: 'error',
            summary: hits.length ? 'Ambiguous VM selector' : 'No such VM',
            detail,
            ...(vm.at ? { range: vm.at } : {}),
          });
          continue;
        }
        found.push({ vm, facts: () => esxiVmFacts(session, hits[0], { inspect: opts.inspect }) });
      }
      return { found, problems, close: () => session.close() };
    } catch (err) {
      session.close();
      throw err;
    }
  },
  findings(facts) {
    if (facts.type !== 'esxi') return [];
    const out = [];
    if (facts.powered_on)
      out.push({
        severity: 'critical' as const,
        code: 'source-powered-on',
        message:
          `${facts.path} is running (its .vmx.lck exists): shut it down before apply; h2k does not power ` +
          'off ESXi guests over SSH',
      });
    if (facts.snapshots.length)
      out.push({
        severity: 'info' as const,
        code: 'snapshots-present',
        message:
          `${facts.path} has ${facts.snapshots.length} snapshot(s) (${facts.snapshots.join(', ')}): the ` +
          'current state is converted, through its delta chain',
      });
    return out;
  },
  fetch: {
    summary: 'download the disks from the host over SSH (OpenSSH)',
    async run(input) {
      const src = asEsxi(input.source);
      const planned = factsOf(input.vm);
      const session = await EsxiSession.connect(src);
      try {
        return await fetchEsxiVm({
          session,
          planned,
          vmx: hostPath(src.datastore_root, planned.path)!,
          disks: input.vm.facts.disks,
          fingerprint: input.vm.source.fingerprint,
          dir: input.dir,
          configDir: input.configDir,
          onStep: input.onStep,
          onProgress: input.onProgress,
        });
      } finally {
        session.close();
      }
    },
  },
  // FETCH checks the host's files against the plan before it copies anything.
  checkUnchanged: async () => undefined,
  async diskEntries(_source, vm, fetchDir) {
    const entries = fetchedEntries(fetchDir, vm.facts.disks);
    for (const e of entries) await resolveChain(e.path, { allowAbsolute: false });
    return entries;
  },
};
