// netplan (Ubuntu): each `network.ethernets.<id>` is rebound from the VMware NIC to the KVM NIC that
// replaces it, keeping its addressing. An interface matched by `match: macaddress` gets the KVM
// NIC's MAC there (its `set-name` then gives the KVM NIC the old name, so nothing else that names
// it breaks); one bound only by its name (the id, or `match: name`) or by VMware's driver gets a MAC
// match and a `set-name` with that name, since KVM names the NIC differently; a name pattern
// (`en*`) already matches and stays. A `macaddress:` that sets the
// NIC's own MAC is a pin (see common.ts). Changes to scalars are spliced into the text, so the
// diff shows exactly them; structural changes re-serialise the file.
import { type Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { type GuestFile, fileText } from '../../../model/guest-facts.js';
import { type NicBinding, type NicIntent, rebindMac } from '../../../model/guest-network.js';
import type { RawFinding } from '../../../model/plan.js';
import { type FixContext, type NetworkModule, afterEdits, nothing, rewrite } from '../modules.js';
import { macPinFinding, rebindReason, unboundFinding, wantsDhcp } from './common.js';

const isNetplan = (p: string) => p.startsWith('/etc/netplan/') && /\.ya?ml$/.test(p);
const files = (all: Record<string, GuestFile>) => Object.keys(all).filter(isNetplan).sort();

const truthy = (v: unknown) => v === true || v === 'true' || v === 'yes' || v === 'on';
const strings = (v: unknown): string[] => (isSeq(v) ? v.items.map((i) => String(isScalar(i) ? i.value : i)) : []);

function ethernets(doc: Document): [string, ReturnType<Document['get']>][] {
  const eths = doc.getIn(['network', 'ethernets']);
  if (!isMap(eths)) return [];
  return eths.items.map((p) => [String(isScalar(p.key) ? p.key.value : p.key), p.value]);
}

function intentOf(path: string, name: string, eth: unknown): NicIntent | undefined {
  if (!isMap(eth)) return undefined;
  const addresses = strings(eth.get('addresses')).filter((a) => a.includes('.'));
  const routes = eth.get('routes');
  const route = isSeq(routes)
    ? routes.items.find((r) => isMap(r) && ['default', '0.0.0.0/0'].includes(String(r.get('to'))))
    : undefined;
  const gateway = eth.get('gateway4') ?? (isMap(route) ? route.get('via') : undefined);
  const mac = eth.getIn(['match', 'macaddress']);
  const method = addresses.length ? 'static' : truthy(eth.get('dhcp4')) ? 'dhcp' : undefined;
  if (!method) return undefined;
  return {
    config: path,
    name: String(eth.get('set-name') ?? name),
    ...(mac ? { mac: String(mac).toLowerCase() } : {}),
    method,
    addresses,
    ...(gateway ? { gateway: String(gateway) } : {}),
    dns: strings(eth.getIn(['nameservers', 'addresses'])),
  };
}

function readNetplan(all: Record<string, GuestFile>): NicIntent[] {
  return files(all).flatMap((path) => {
    const doc = parseDocument(fileText(all, path) ?? '');
    if (doc.errors.length) return [];
    return ethernets(doc).flatMap(([name, eth]) => intentOf(path, name, eth) ?? []);
  });
}

/** The file rebound (and whether an interface in it became DHCP). */
function planFile(
  ctx: FixContext,
  path: string,
  text: string,
  used: Map<string, number>,
  findings: RawFinding[],
): { text: string; dhcp: boolean } {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const why = doc.errors[0].message.split('\n')[0];
    const message = `${path} is not valid YAML (${why}): its interfaces are left as they are`;
    findings.push({ code: 'network-config-unreadable', severity: 'warning', message });
    return { text, dhcp: false };
  }
  const splices: { from: number; to: number; text: string }[] = [];
  let structural = false;
  let dhcp = false;
  const regenerate = ctx.policy.mac === 'regenerate';
  for (const [name, eth] of ethernets(doc)) {
    if (!isMap(eth)) continue;
    const at = ['network', 'ethernets', name];
    const match = eth.get('match', true);
    const macNode = isMap(match) ? match.get('macaddress', true) : undefined;
    let target: NicBinding | undefined;
    if (isScalar(macNode)) {
      const mac = String(macNode.value);
      target = rebindMac(mac, ctx.nics, used);
      if (!target) findings.push(unboundFinding(path, mac));
      else if (target.mac.toLowerCase() !== mac.toLowerCase()) {
        macNode.value = target.mac;
        if (macNode.range) splices.push({ from: macNode.range[0], to: macNode.range[1], text: target.mac });
      }
    } else if (isMap(match) && /[*?[]/.test(String(match.get('name') ?? '')) && !match.has('driver')) {
      // A name pattern (cloud images' "en*") matches the KVM NIC as it is.
      target = rebindMac(`name:${name}`, ctx.nics, used);
    } else {
      target = rebindMac(`name:${name}`, ctx.nics, used);
      if (target) {
        // Bound by name (the id or match.name): set-name keeps that name; by driver, there is none.
        const byName = !isMap(match) || match.has('name');
        const current = isMap(match) ? String(match.get('name') ?? name) : name;
        doc.setIn([...at, 'match'], doc.createNode({ macaddress: target.mac }));
        if (byName && !eth.has('set-name')) doc.setIn([...at, 'set-name'], current);
        structural = true;
      }
    }
    const pin = eth.get('macaddress');
    if (pin !== undefined) {
      findings.push(macPinFinding(path, String(pin), 'netplan macaddress', regenerate));
      if (regenerate) {
        doc.deleteIn([...at, 'macaddress']);
        structural = true;
      }
    }
    if (wantsDhcp(ctx.policy, target) && eth.has('addresses')) {
      dhcp = true;
      for (const key of ['addresses', 'gateway4', 'routes']) doc.deleteIn([...at, key]);
      doc.setIn([...at, 'dhcp4'], true);
      structural = true;
    }
  }
  // Keep the file's own list style: curtin writes "key:\n- item" at the key's indentation.
  if (structural) return { text: doc.toString({ indentSeq: !/^( *)[^\s-][^\n]*:\n\1- /m.test(text) }), dhcp };
  let out = text;
  for (const s of splices.sort((a, b) => b.from - a.from)) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  return { text: out, dhcp };
}

export const netplan: NetworkModule = {
  name: 'netplan',
  detect: async (p) => files(p.files).length > 0,
  read: readNetplan,
  plan(ctx) {
    const result = nothing();
    const used = new Map<string, number>();
    for (const path of files(ctx.guest.files)) {
      const text = fileText(ctx.guest.files, path) ?? '';
      const after = planFile(ctx, path, text, used, result.findings);
      result.edits.push(...rewrite(path, text, after.text, rebindReason(after.dhcp, 'each interface')));
    }
    result.network = readNetplan(afterEdits(ctx.guest.files, result.edits));
    return result;
  },
};
