// NetworkManager keyfiles (/etc/NetworkManager/system-connections/*.nmconnection): each Ethernet
// connection is rebound from the VMware NIC to the KVM NIC that replaces it. Bound by MAC
// ([ethernet] mac-address), it gets the KVM NIC's MAC; bound by name (interface-name=ens192), it
// loses the name (KVM names the NIC differently: enp1s0 under libvirt, another slot in the boot
// test) and is bound by the KVM MAC instead. Addressing stays as it is ([ipv4] method=manual with
// its addresses, gateway and DNS), or becomes DHCP under policy network = "dhcp". A
// cloned-mac-address is a MAC pin (see common.ts).
import { type GuestFile, fileText } from '../../../model/guest-facts.js';
import { type NicIntent, macLike, rebindMac } from '../../../model/guest-network.js';
import { type NetworkModule, afterEdits, nothing, rewrite } from '../modules.js';
import { planIfcfg, readIfcfg } from './ifcfg.js';
import { IniFile } from './ini.js';
import { macPinFinding, rebindReason, unboundFinding, wantsDhcp } from './common.js';

const DIR = '/etc/NetworkManager/system-connections/';
const keyfiles = (all: Record<string, GuestFile>) =>
  Object.keys(all)
    .filter((p) => p.startsWith(DIR) && all[p].kind === 'file')
    .sort();

/** keyfiles name the Ethernet section [ethernet] or, in older files, [802-3-ethernet]. */
const ethSection = (ini: IniFile) => (ini.sections().includes('802-3-ethernet') ? '802-3-ethernet' : 'ethernet');
const isEthernet = (ini: IniFile) => ['ethernet', '802-3-ethernet'].includes(ini.get('connection', 'type') ?? '');

function intentOf(path: string, ini: IniFile): NicIntent | undefined {
  if (!isEthernet(ini)) return undefined;
  const method = ini.get('ipv4', 'method') ?? 'auto';
  const name = ini.get('connection', 'interface-name') ?? ini.get('connection', 'id') ?? path;
  const mac = ini.get(ethSection(ini), 'mac-address')?.toLowerCase();
  const base = { config: path, name, ...(mac ? { mac } : {}) };
  if (method === 'auto') return { ...base, method: 'dhcp', addresses: [], dns: [] };
  if (method !== 'manual') return undefined;
  // address1=192.168.60.30/24,192.168.60.1 (the gateway may ride along) or addresses=a;b;
  const entries = ini.matching('ipv4', /^address(es)?\d*$/).flatMap((e) => e.value.split(';').filter(Boolean));
  const addresses = entries.map((e) => e.split(',')[0].trim());
  const gateway = ini.get('ipv4', 'gateway') ?? entries.map((e) => e.split(',')[1]?.trim()).find(Boolean);
  const dns = (ini.get('ipv4', 'dns') ?? '').split(';').filter(Boolean);
  return { ...base, method: 'static', addresses, ...(gateway ? { gateway } : {}), dns };
}

/** Keyfiles, then ifcfg files (NetworkManager reads both, through its ifcfg-rh plugin on EL). */
function readKeyfiles(all: Record<string, GuestFile>): NicIntent[] {
  return [...keyfiles(all).flatMap((p) => intentOf(p, new IniFile(fileText(all, p) ?? '')) ?? []), ...readIfcfg(all)];
}

export const networkManager: NetworkModule = {
  name: 'networkmanager',
  detect: (p) => p.exists('/usr/sbin/NetworkManager'),
  read: readKeyfiles,
  plan(ctx) {
    const result = nothing();
    const used = new Map<string, number>();
    for (const path of keyfiles(ctx.guest.files)) {
      const text = fileText(ctx.guest.files, path) ?? '';
      const ini = new IniFile(text);
      if (!isEthernet(ini)) continue;
      const eth = ethSection(ini);
      const mac = ini.get(eth, 'mac-address');
      const name = ini.get('connection', 'interface-name');
      const target = rebindMac(mac ?? `name:${name ?? path}`, ctx.nics, used);
      if (!target) result.findings.push(unboundFinding(path, mac ?? name ?? path));
      else if (mac || name) {
        ini.set(eth, 'mac-address', macLike(target.mac, mac));
        ini.remove('connection', 'interface-name');
      }
      const pin = ini.get(eth, 'cloned-mac-address');
      if (pin && /:/.test(pin)) {
        const regenerate = ctx.policy.mac === 'regenerate';
        result.findings.push(macPinFinding(path, pin, 'cloned-mac-address', regenerate));
        if (regenerate) ini.remove(eth, 'cloned-mac-address');
      }
      const dhcp = wantsDhcp(ctx.policy, target);
      if (dhcp && ini.get('ipv4', 'method') === 'manual') {
        ini.remove('ipv4', /^(address(es)?\d*|gateway|dns)$/);
        ini.set('ipv4', 'method', 'auto');
      }
      const reason = rebindReason(dhcp, 'the connection');
      result.edits.push(...rewrite(path, text, ini.toString(), reason));
    }
    const ifcfg = planIfcfg(ctx, used);
    result.edits.push(...ifcfg.edits);
    result.findings.push(...ifcfg.findings);
    result.network = readKeyfiles(afterEdits(ctx.guest.files, result.edits));
    return result;
  },
};
