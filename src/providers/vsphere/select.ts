// Which inventory VM each configured vm means: by path, name, UUID, or discovery (one instance per
// match). Two govc processes whatever the count (collect.ts: the folders, then every VM's facts).
// Unknown and ambiguous selections are diagnostics pointing at the selector in the configuration.
import type { InventoryFacts } from '../../model/source-facts.js';
import type { VmConfig } from '../../schema/config.js';
import type { VsphereSourceConfig } from './config.js';
import type { Diagnostic } from '../../schema/diagnostics.js';
import { suggest } from '../../util/did-you-mean.js';
import type { Govc } from './govc.js';
import { collectInventory } from './collect.js';

export interface LocatedVm {
  vm: VmConfig;
  inventory: InventoryFacts;
}

export function globRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const normUuid = (u: string) => u.toLowerCase().replace(/-/g, '');

/** Absolute inventory path of a configured path: relative ones are relative to the datacenter. */
function absolutePath(source: VsphereSourceConfig, p: string): string {
  if (p.startsWith('/')) return p.replace(/\/+$/, '');
  return `/${source.datacenter ?? ''}/${p}`.replace(/\/+/g, '/').replace(/\/$/, '');
}

function wanted(source: VsphereSourceConfig, vm: VmConfig, path: string): boolean {
  if (vm.path !== undefined) return path === absolutePath(source, vm.path);
  if (vm.name !== undefined) return base(path) === vm.name;
  if (vm.discover) {
    const d = vm.discover;
    if (d.folder !== undefined && !path.startsWith(`${absolutePath(source, d.folder)}/`)) return false;
    return d.name === undefined || globRegExp(d.name).test(base(path));
  }
  return true; // by uuid: only vm.info can tell
}

export async function locateVms(
  govc: Govc,
  source: VsphereSourceConfig,
  vms: VmConfig[],
): Promise<{ located: LocatedVm[]; problems: Diagnostic[] }> {
  const dc = source.datacenter;
  const { paths: found, inventory } = await collectInventory(govc, dc, (p) => vms.some((vm) => wanted(source, vm, p)));
  const located: LocatedVm[] = [];
  const problems: Diagnostic[] = [];
  const problem = (vm: VmConfig, summary: string, detail: string) =>
    problems.push({ severity: 'error', summary, detail, ...(vm.at ? { range: vm.at } : {}) });
  const where = `${source.address} (${source.url}${dc ? `, datacenter ${dc}` : ''})`;
  for (const vm of vms) {
    if (vm.discover) {
      const d = vm.discover;
      const hits = inventory.filter(
        (f) => wanted(source, vm, f.path) && (d.guest_id === undefined || globRegExp(d.guest_id).test(f.guest_id)),
      );
      if (hits.length === 0)
        problems.push({
          severity: 'warning',
          summary: 'Discovery matched no VM',
          detail: `No VM in ${where} matches ${JSON.stringify(d)}; ${vm.address} plans nothing.`,
          ...(vm.at ? { range: vm.at } : {}),
        });
      const byName = new Map<string, InventoryFacts[]>();
      for (const h of hits) byName.set(h.name, [...(byName.get(h.name) ?? []), h]);
      for (const [name, same] of byName) {
        if (same.length > 1) {
          problem(
            vm,
            'Ambiguous discovered VM',
            `${same.length} VMs named "${name}" match in ${where}: ${same.map((s) => s.path).join(', ')}. ` +
              `Narrow discover.folder so each name is unique.`,
          );
          continue;
        }
        const { discover: _d, ...rest } = vm;
        located.push({
          vm: { ...rest, address: `${vm.address}[${JSON.stringify(name)}]`, path: same[0].path },
          inventory: same[0],
        });
      }
      continue;
    }
    const hits =
      vm.uuid !== undefined
        ? inventory.filter(
            (f) => normUuid(f.uuid) === normUuid(vm.uuid!) || normUuid(f.instance_uuid) === normUuid(vm.uuid!),
          )
        : inventory.filter((f) => wanted(source, vm, f.path));
    const what =
      vm.path !== undefined ? `path "${vm.path}"` : vm.name !== undefined ? `name "${vm.name}"` : `UUID ${vm.uuid}`;
    const named = vm.name ?? (vm.path !== undefined ? base(vm.path) : undefined);
    if (hits.length === 0)
      problem(
        vm,
        'Unknown VM',
        `No VM with ${what} in ${where}.${named !== undefined ? ` ${closest(named, found)}` : ''}`,
      );
    else if (hits.length > 1)
      problem(
        vm,
        'Ambiguous VM',
        `${hits.length} VMs match ${what} in ${where}: ${hits.map((h) => h.path).join(', ')}. Select it by ` +
          `path or uuid instead.`,
      );
    else located.push({ vm, inventory: hits[0] });
  }
  return { located, problems };
}

function closest(name: string, paths: string[]): string {
  const hint = suggest(name, [...new Set(paths.map(base))]);
  return hint ? hint.trim() : `${paths.length} VM(s) exist there; \`govc find / -type m\` lists them.`;
}
