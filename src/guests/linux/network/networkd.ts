// systemd-networkd units (/etc/systemd/network/*.network): each is rebound from the VMware NIC to
// the KVM NIC that replaces it: [Match] MACAddress= gets the KVM NIC's MAC; a unit matched only by
// Name= is matched by the KVM MAC instead (KVM names the NIC differently). Addressing ([Network]
// Address=/Gateway=/DNS=/DHCP=, [Address], [Route]) stays, or becomes DHCP under network = "dhcp".
import { type GuestFile, fileText } from '../../../model/guest-facts.js';
import { type NicIntent, rebindMac } from '../../../model/guest-network.js';
import { type NetworkModule, afterEdits, nothing, rewrite } from '../modules.js';
import { IniFile } from './ini.js';
import { rebindReason, unboundFinding, wantsDhcp } from './common.js';

const DIR = '/etc/systemd/network/';
const units = (all: Record<string, GuestFile>) =>
  Object.keys(all)
    .filter((p) => p.startsWith(DIR) && p.endsWith('.network') && all[p].kind === 'file')
    .sort();

const PHYSICAL = /^(en|eth)/;
const dhcp4 = (v: string | undefined) => ['yes', 'true', 'ipv4', 'on', '1'].includes((v ?? '').toLowerCase());

function intentOf(path: string, ini: IniFile): NicIntent | undefined {
  const mac = ini.get('Match', 'MACAddress')?.split(/\s+/)[0]?.toLowerCase();
  const name = ini.get('Match', 'Name')?.split(/\s+/)[0];
  if (!mac && !(name && PHYSICAL.test(name))) return undefined;
  const addresses = [...ini.getAll('Network', 'Address'), ...ini.getAll('Address', 'Address')].filter((a) =>
    a.includes('.'),
  );
  const gateway = ini.get('Network', 'Gateway') ?? ini.get('Route', 'Gateway');
  const base = { config: path, name: name ?? path, ...(mac ? { mac } : {}) };
  const dns = ini.getAll('Network', 'DNS').flatMap((d) => d.split(/\s+/));
  if (addresses.length) return { ...base, method: 'static', addresses, ...(gateway ? { gateway } : {}), dns };
  return dhcp4(ini.get('Network', 'DHCP')) ? { ...base, method: 'dhcp', addresses: [], dns } : undefined;
}

function readUnits(all: Record<string, GuestFile>): NicIntent[] {
  return units(all).flatMap((p) => intentOf(p, new IniFile(fileText(all, p) ?? '')) ?? []);
}

export const networkd: NetworkModule = {
  name: 'systemd-networkd',
  detect: async (p) => units(p.files).length > 0,
  read: readUnits,
  plan(ctx) {
    const result = nothing();
    const used = new Map<string, number>();
    for (const path of units(ctx.guest.files)) {
      const text = fileText(ctx.guest.files, path) ?? '';
      const ini = new IniFile(text);
      const intent = intentOf(path, ini);
      if (!intent) continue;
      const target = rebindMac(intent.mac ?? `name:${intent.name}`, ctx.nics, used);
      if (!target) result.findings.push(unboundFinding(path, intent.mac ?? intent.name));
      else if (target.mac.toLowerCase() !== intent.mac) {
        ini.set('Match', 'MACAddress', target.mac);
        ini.remove('Match', 'Name');
      }
      const dhcp = wantsDhcp(ctx.policy, target);
      if (dhcp && intent.method === 'static') {
        ini.remove('Network', /^(Address|Gateway)$/);
        ini.remove('Address', 'Address');
        ini.set('Network', 'DHCP', 'ipv4');
      }
      const reason = rebindReason(dhcp, 'the unit');
      result.edits.push(...rewrite(path, text, ini.toString(), reason));
    }
    result.network = readUnits(afterEdits(ctx.guest.files, result.edits));
    return result;
  },
};
