// OVF packages: an .ova archive or an .ovf with its files. The package is read once per source
// (its manifest checked against the descriptor first); each vm picks a VirtualSystem; disks are
// inspected inside the archive without extracting it, and FETCH copies out only the disk members,
// verified against the manifest.
import { dirname, join } from 'node:path';
import { changedFiles } from '../../model/facts.js';
import type { VmPlan } from '../../model/plan.js';
import type { Diagnostic } from '../../schema/diagnostics.js';
import { UserError } from '../../util/errors.js';
import { resolveChain } from '../disk-chain/file-reader.js';
import type { SourceDriver } from '../driver.js';
import { asOva, ovaSchema } from './config.js';
import { fetchPackage, fetchedDisk } from './fetch.js';
import type { OvfSystem } from './ovf.js';
import { openPackage } from './package.js';
import { ovaVmFacts, packageFingerprint } from './vm-facts.js';

function pick(systems: OvfSystem[], name: string | undefined): OvfSystem | string {
  const names = systems.map((s) => JSON.stringify(s.name)).join(', ');
  if (name === undefined)
    return systems.length === 1
      ? systems[0]
      : `The package holds ${systems.length} VirtualSystems (${names}); pick one with name = "…".`;
  const hit = systems.find((s) => s.name === name) ?? systems.find((s) => s.id === name);
  return hit ?? `No VirtualSystem named "${name}" in the package; it holds ${names}.`;
}

function systemOf(vm: VmPlan): string {
  if (vm.facts.source.type !== 'ova') throw new Error(`${vm.address}: the plan holds no OVF facts`);
  return vm.facts.source.system;
}

async function planned(source: Parameters<SourceDriver['checkUnchanged']>[0], vm: VmPlan) {
  const src = asOva(source);
  const pkg = await openPackage(src.path);
  const sys = pkg.descriptor.systems.find((s) => s.name === systemOf(vm));
  if (!sys) throw new UserError(`${vm.address}: ${src.path} no longer holds ${systemOf(vm)}`, 'plan again');
  return { pkg, sys };
}

export const ova: SourceDriver = {
  type: 'ova',
  schema: ovaSchema,
  async locate(source, vms, opts) {
    const src = asOva(source);
    opts.progress(`${src.address}: reading ${src.path}...`);
    const pkg = await openPackage(src.path);
    const problems: Diagnostic[] = [];
    const found = [];
    for (const vm of vms) {
      const sys = pick(pkg.descriptor.systems, vm.name);
      if (typeof sys === 'string') {
        const summary = vm.name === undefined ? 'Ambiguous VirtualSystem' : 'No such VirtualSystem';
        problems.push({ severity: 'error', summary, detail: sys, ...(vm.at ? { range: vm.at } : {}) });
        continue;
      }
      found.push({ vm, facts: () => ovaVmFacts(pkg, sys, { inspect: opts.inspect }) });
    }
    return { found, problems, close: () => undefined };
  },
  findings(facts) {
    if (facts.type !== 'ova' || facts.manifest !== 'none') return [];
    return [
      {
        severity: 'warning',
        code: 'ova-no-manifest',
        message:
          `the ${facts.package} package has no manifest, so its disks cannot be verified; export it with one ` +
          '(ovftool and vSphere write one by default)',
      },
    ];
  },
  fetch: {
    summary: "copy the disks out of the package (an .ovf's in place), verified against its manifest",
    async run(input) {
      const { pkg } = await planned(input.source, input.vm);
      const hrefs = input.vm.facts.disks.map((d) => d.name);
      return fetchPackage({
        pkg,
        hrefs,
        dir: input.dir,
        configDir: input.configDir,
        onStep: input.onStep,
        onProgress: input.onProgress,
      });
    },
  },
  async checkUnchanged(source, vm) {
    const { pkg, sys } = await planned(source, vm);
    const now = await packageFingerprint(pkg, sys);
    const changed = changedFiles(vm.source.fingerprint.files, now.files);
    if (changed.length === 0 && now.descriptor_sha256 === vm.source.fingerprint.descriptor_sha256) return;
    throw new UserError(
      `${vm.address}: the package changed since the plan was made (${changed.join(', ') || 'the descriptor'})`,
      'run h2k plan again',
    );
  },
  async diskEntries(source, vm, fetchDir) {
    const src = asOva(source);
    const inPlace = vm.facts.source.type === 'ova' && vm.facts.source.package === 'ovf';
    const entries = vm.facts.disks.map((d, i) => ({
      path: inPlace ? join(dirname(src.path), d.name) : fetchedDisk(fetchDir, i, d.name),
      format: d.format,
    }));
    // What FETCH extracted passes the same hostile-layout checks as a local disk before qemu reads it.
    for (const e of entries) await resolveChain(e.path, { allowAbsolute: false });
    return entries;
  },
};
