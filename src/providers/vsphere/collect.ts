// The inventory of a whole vCenter in two govc calls, through the property collector: the folders'
// names and parents (to spell each VM's inventory path), then every VM with just the properties
// h2k reads, streamed. Measured against vcsim with 10,500 VMs: 6.5 s and 98 MB of JSON, where
// `vm.info -json` of the same VMs takes 20 s and 259 MB (it sends every property there is).
import type { InventoryFacts } from '../../model/source-facts.js';
import { type Govc, VsphereError } from './govc.js';
import { camelKeys, inventoryFacts } from './inventory.js';

/** What inventoryFacts reads of a VM, as property paths. */
const VM_PROPERTIES = [
  'name',
  'config.uuid',
  'config.instanceUuid',
  'config.guestId',
  'config.firmware',
  'config.changeVersion',
  'config.changeTrackingEnabled',
  'config.bootOptions',
  'config.keyId',
  'config.hardware',
  'runtime.powerState',
  'snapshot',
  'parent',
];

type Ref = { Type?: string; Value?: string; type?: string; value?: string };
type Content = { Obj?: Ref; obj?: Ref; ChangeSet?: Change[]; changeSet?: Change[] };
type Change = { Name?: string; Val?: unknown; name?: string; val?: unknown };

const refId = (r: unknown): string | undefined => {
  const ref = r as Ref | null | undefined;
  return ref ? (ref.Value ?? ref.value) : undefined;
};

/** One object's properties as a nested object ("config.hardware" → { config: { hardware } }). */
function nested(content: Content): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of content.ChangeSet ?? content.changeSet ?? []) {
    const parts = String(c.Name ?? c.name).split('.');
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = c.Val ?? c.val ?? null;
  }
  return out;
}

/** Every VM's inventory path, and the facts of those `keep` selects. */
export async function collectInventory(
  govc: Govc,
  datacenter: string | undefined,
  keep: (path: string) => boolean,
): Promise<{ paths: string[]; inventory: InventoryFacts[] }> {
  const containers = new Map<string, { name: string; parent?: string; type: string }>();
  await govc.stream(['object.collect', '-json', '-type', 'f', '-type', 'd', '/', 'name', 'parent'], (v) => {
    const c = v as Content;
    const props = nested(c);
    const obj = c.Obj ?? c.obj;
    const id = refId(obj);
    if (id)
      containers.set(id, {
        name: String(props.name ?? ''),
        parent: refId(props.parent),
        type: String(obj?.Type ?? obj?.type),
      });
  });
  if (datacenter && ![...containers.values()].some((c) => c.type === 'Datacenter' && c.name === datacenter))
    throw new VsphereError(
      `${govc.source.address}: datacenter "${datacenter}" not found at ${new URL(govc.source.url).host}`,
      "check the source's datacenter; `govc ls /` lists the datacenters",
    );
  // The root folder is not in the view: a chain ends where its parent is unknown.
  const pathOf = (name: string, parent: string | undefined): string => {
    const names = [name];
    for (let at = parent, hops = 0; at && containers.has(at) && hops < 64; hops++) {
      const c = containers.get(at)!;
      names.unshift(c.name);
      at = c.parent;
    }
    return `/${names.join('/')}`;
  };
  const paths: string[] = [];
  const inventory: InventoryFacts[] = [];
  const root = datacenter ? `/${datacenter}` : '/';
  await govc.stream(['object.collect', '-json', '-type', 'm', root, ...VM_PROPERTIES], (v) => {
    const vm = nested(v as Content);
    const path = pathOf(String(vm.name ?? ''), refId(vm.parent));
    paths.push(path);
    if (keep(path)) inventory.push(inventoryFacts(camelKeys(vm), path));
  });
  paths.sort();
  inventory.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { paths, inventory };
}
