// The network a guest's own configuration intends, as the plan records it after FIX: per configured
// interface, how it gets its addresses. VALIDATE holds the booted guest to it (a static address must
// be configured and in use on the KVM NIC; a DHCP interface must get a lease). Pure.

export interface NicIntent {
  /** The guest file that configures it. */
  config: string;
  /** The interface (or connection) name the configuration uses. */
  name: string;
  /** The MAC it binds to after FIX, when it binds by MAC. */
  mac?: string;
  method: 'dhcp' | 'static';
  /** Static IPv4 addresses, CIDR. */
  addresses: string[];
  gateway?: string;
  dns: string[];
}

/** The KVM NICs the fixers bind configurations to, in the VM's NIC order: the MAC KVM gives each,
 *  and the MAC the VMware VM had, when the source says. */
export interface NicBinding {
  mac: string;
  vmware_mac?: string;
  /** The vm block's per-NIC override of policy `network`. */
  addressing?: 'preserve' | 'dhcp';
}

/** One line for the plan: "ens192 static 192.168.50.20/24 via 192.168.50.1 (/etc/netplan/x.yaml)". */
export function describeIntent(n: NicIntent): string {
  const via = n.gateway ? ` via ${n.gateway}` : '';
  const dns = n.dns.length ? ` dns ${n.dns.join(', ')}` : '';
  const how = n.method === 'dhcp' ? 'dhcp' : `static ${n.addresses.join(', ')}${via}${dns}`;
  return `${n.name}${n.mac ? ` (${n.mac})` : ''} ${how} (${n.config})`;
}

/** 255.255.255.0 → 24. */
export const prefixLength = (netmask: string): number =>
  netmask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0);

/** `mac` written the way `like` is (NetworkManager and ifcfg files often use upper case). */
export const macLike = (mac: string, like: string | undefined): string =>
  like && like === like.toUpperCase() ? mac.toUpperCase() : mac;

export const staticAddresses = (intents: NicIntent[]): string[] =>
  intents.flatMap((n) => (n.method === 'static' ? n.addresses.map((a) => a.split('/')[0]) : []));

export const VMWARE_MAC = /\b(00:50:56|00:0c:29|00:05:69|00:1c:14):[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}\b/i;

/**
 * Which KVM NIC a configuration bound to `mac` should bind to: the one already having that MAC, the
 * one that replaced the VMware NIC with that MAC, or else the next unused NIC in order (sources that
 * do not say which MAC each NIC had). `used` carries the assignment across a guest's files.
 */
export function rebindMac(mac: string, nics: NicBinding[], used: Map<string, number>): NicBinding | undefined {
  const m = mac.toLowerCase();
  if (used.has(m)) return nics[used.get(m)!];
  let i = nics.findIndex((n) => n.mac.toLowerCase() === m);
  if (i < 0) i = nics.findIndex((n) => n.vmware_mac?.toLowerCase() === m);
  if (i < 0) i = nics.findIndex((_, k) => ![...used.values()].includes(k) && !nics[k].vmware_mac);
  if (i < 0) return undefined;
  used.set(m, i);
  return nics[i];
}
