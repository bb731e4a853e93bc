// ifcfg files (/etc/sysconfig/network-scripts/ifcfg-*: the RHEL family's network-scripts, and
// NetworkManager's ifcfg-rh plugin up to EL9): shell assignments. A connection bound by HWADDR gets
// the KVM NIC's MAC (DEVICE stays: a matching HWADDR is how the interface keeps its name); one bound
// only by DEVICE gets HWADDR. Addressing (BOOTPROTO, IPADDRn/PREFIXn or NETMASKn, GATEWAY, DNSn)
// stays, or becomes BOOTPROTO=dhcp under network = "dhcp". MACADDR (the NIC's own MAC) is a pin.
import { type GuestFile, fileText } from '../../../model/guest-facts.js';
import { type NicIntent, macLike, prefixLength, rebindMac } from '../../../model/guest-network.js';
import { type FixContext, type FixResult, afterEdits, nothing, rewrite } from '../modules.js';
import { macPinFinding, rebindReason, unboundFinding, wantsDhcp } from './common.js';
import { shellVars } from '../shell-vars.js';

const DIR = '/etc/sysconfig/network-scripts/';
export const ifcfgFiles = (all: Record<string, GuestFile>) =>
  Object.keys(all)
    .filter((p) => p.startsWith(`${DIR}ifcfg-`) && !p.endsWith('ifcfg-lo') && all[p].kind === 'file')
    .sort();

/** The text with KEY set (the first assignment replaced, or one appended), or removed (undefined). */
function assign(text: string, key: string, value: string | undefined): string {
  const re = new RegExp(`^\\s*${key}=.*$`, 'm');
  if (value === undefined) return text.replace(new RegExp(`^\\s*${key}=.*\\n?`, 'gm'), '');
  if (re.test(text)) return text.replace(re, `${key}=${value}`);
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${key}=${value}\n`;
}

function intentOf(path: string, v: Map<string, string>): NicIntent | undefined {
  if ((v.get('TYPE') ?? 'Ethernet') !== 'Ethernet') return undefined;
  const name = v.get('DEVICE') ?? v.get('NAME') ?? path.slice(`${DIR}ifcfg-`.length);
  const mac = v.get('HWADDR')?.toLowerCase();
  const base = { config: path, name, ...(mac ? { mac } : {}) };
  const proto = (v.get('BOOTPROTO') ?? 'none').toLowerCase();
  if (proto === 'dhcp') return { ...base, method: 'dhcp', addresses: [], dns: [] };
  const addresses = [...v.keys()]
    .filter((k) => /^IPADDR\d*$/.test(k))
    .sort()
    .map((k) => {
      const n = k.slice('IPADDR'.length);
      const prefix = v.get(`PREFIX${n}`) ?? (v.get(`NETMASK${n}`) ? String(prefixLength(v.get(`NETMASK${n}`)!)) : '');
      return prefix ? `${v.get(k)}/${prefix}` : v.get(k)!;
    });
  if (addresses.length === 0) return undefined;
  const dns = [...v.keys()]
    .filter((k) => /^DNS\d+$/.test(k))
    .sort()
    .map((k) => v.get(k)!);
  const gateway = v.get('GATEWAY');
  return { ...base, method: 'static', addresses, ...(gateway ? { gateway } : {}), dns };
}

export function readIfcfg(all: Record<string, GuestFile>): NicIntent[] {
  return ifcfgFiles(all).flatMap((p) => intentOf(p, shellVars(fileText(all, p) ?? '')) ?? []);
}

/** Rebinds every ifcfg file; `used` carries the NIC assignment across the guest's files. */
export function planIfcfg(ctx: FixContext, used: Map<string, number>): FixResult {
  const result = nothing();
  for (const path of ifcfgFiles(ctx.guest.files)) {
    const text = fileText(ctx.guest.files, path) ?? '';
    const v = shellVars(text);
    const intent = intentOf(path, v);
    if (!intent) continue;
    const mac = v.get('HWADDR');
    const target = rebindMac(mac ?? `name:${intent.name}`, ctx.nics, used);
    let after = text;
    if (!target) result.findings.push(unboundFinding(path, mac ?? intent.name));
    else if (target.mac.toLowerCase() !== mac?.toLowerCase()) after = assign(after, 'HWADDR', macLike(target.mac, mac));
    const pin = v.get('MACADDR');
    if (pin) {
      const regenerate = ctx.policy.mac === 'regenerate';
      result.findings.push(macPinFinding(path, pin, 'MACADDR', regenerate));
      if (regenerate) after = assign(after, 'MACADDR', undefined);
    }
    const dhcp = wantsDhcp(ctx.policy, target);
    if (dhcp && intent.method === 'static') {
      for (const k of [...v.keys()].filter((k) => /^(IPADDR|PREFIX|NETMASK)\d*$|^GATEWAY$/.test(k)))
        after = assign(after, k, undefined);
      after = assign(after, 'BOOTPROTO', 'dhcp');
    }
    result.edits.push(...rewrite(path, text, after, rebindReason(dhcp, 'the connection')));
  }
  result.network = readIfcfg(afterEdits(ctx.guest.files, result.edits));
  return result;
}
