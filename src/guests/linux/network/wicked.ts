// wicked (SLES 12/15, Leap 15): /etc/sysconfig/network/ifcfg-<name> in SUSE's own dialect, bound to
// its interface by the file's name only (never by MAC). BOOTPROTO (static is wicked's default, any
// dhcp* is DHCP), IPADDR with its prefix in the value or PREFIXLEN/NETMASK, suffixed addresses
// (IPADDR_1, PREFIXLEN_1), LLADDR (the NIC's own MAC: a pin); the gateway in ifroute-<name> or the
// global routes file, DNS in config's NETCONFIG_DNS_STATIC_SERVERS.
//
// On KVM the NIC is new and may be named otherwise (ens192 under VMware, ens3 or enp1s0 under KVM;
// eth0 with net.ifnames=0 only while the NIC order holds), so a udev rule names each KVM NIC by its
// MAC as the configuration it replaces expects: the names stay, the configuration files are not
// renamed. Addressing stays, or becomes DHCP under network = "dhcp".
import { type GuestFile, fileText } from '../../../model/guest-facts.js';
import { type NicIntent, prefixLength, rebindMac } from '../../../model/guest-network.js';
import { type FixResult, type NetworkModule, afterEdits, nothing, rewrite } from '../modules.js';
import { macPinFinding, unboundFinding, wantsDhcp } from './common.js';
import { shellVars } from '../shell-vars.js';

const DIR = '/etc/sysconfig/network/';
const ROUTES = `${DIR}routes`;
const CONFIG = `${DIR}config`;
const PERSISTENT_NET = '/etc/udev/rules.d/70-persistent-net.rules';
/** The names h2k gives the KVM NICs (sorted before 80-net-setup-link.rules, which names the rest). */
export const NAME_RULES = '/etc/udev/rules.d/70-h2k-net-names.rules';

const ifcfgFiles = (all: Record<string, GuestFile>) =>
  Object.keys(all)
    .filter((p) => p.startsWith(`${DIR}ifcfg-`) && p !== `${DIR}ifcfg-lo` && all[p].kind === 'file')
    .sort();

/** Interfaces made of others (bonds, bridges, VLANs, tunnels) stay as they are: their ports are. */
const VIRTUAL = ['BONDING_MASTER', 'BRIDGE', 'ETHERDEVICE', 'TUNNEL', 'VLAN_ID'];

/** The default gateway of `name`: its ifroute file's, else the global routes file's for it or for any. */
function gatewayOf(all: Record<string, GuestFile>, name: string): string | undefined {
  const defaults = (path: string) =>
    (fileText(all, path) ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[0] === 'default' && f[1] && (!f[3] || f[3] === '-' || f[3] === name));
  return (defaults(`${DIR}ifroute-${name}`)[0] ?? defaults(ROUTES)[0])?.[1];
}

/** Each NIC's MAC by name, from udev rules that name NICs by MAC (h2k's, or the persistent-net rules
 *  an upgraded SUSE guest keeps from VMware). */
function namedMacs(all: Record<string, GuestFile>, path = NAME_RULES): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of (fileText(all, path) ?? '').matchAll(/ATTR\{address\}=="([^"]+)".*NAME="([^"]+)"/g))
    out.set(m[2], m[1].toLowerCase());
  return out;
}

/** The MAC an interface is bound to where the guest says it: h2k's rule (planned before), the
 *  persistent-net rule from VMware, or LLADDR (the address it sets on itself). Without any,
 *  rebindMac takes the next NIC. */
function boundMacOf(all: Record<string, GuestFile>, name: string, v: Map<string, string>): string | undefined {
  return namedMacs(all).get(name) ?? namedMacs(all, PERSISTENT_NET).get(name) ?? v.get('LLADDR')?.toLowerCase();
}

function intentOf(all: Record<string, GuestFile>, path: string): NicIntent | undefined {
  const v = shellVars(fileText(all, path) ?? '');
  if (VIRTUAL.some((k) => v.get(k) && v.get(k) !== 'no')) return undefined;
  const name = path.slice(`${DIR}ifcfg-`.length);
  const mac = namedMacs(all).get(name);
  const base = { config: path, name, ...(mac ? { mac } : {}) };
  const dns = (shellVars(fileText(all, CONFIG) ?? '').get('NETCONFIG_DNS_STATIC_SERVERS') ?? '')
    .split(/\s+/)
    .filter(Boolean);
  const proto = (v.get('BOOTPROTO') ?? 'static').toLowerCase();
  if (proto.startsWith('dhcp')) return { ...base, method: 'dhcp', addresses: [], dns };
  if (proto !== 'static') return undefined;
  const addresses = [...v.keys()]
    .filter((k) => /^IPADDR(_\w+)?$/.test(k) && v.get(k) && !v.get(k)!.includes(':'))
    .sort()
    .map((k) => {
      const suffix = k.slice('IPADDR'.length);
      const address = v.get(k)!;
      if (address.includes('/')) return address;
      const netmask = v.get(`NETMASK${suffix}`);
      const prefix = v.get(`PREFIXLEN${suffix}`) ?? (netmask ? String(prefixLength(netmask)) : '');
      return prefix ? `${address}/${prefix}` : address;
    });
  if (addresses.length === 0) return undefined;
  const gateway = gatewayOf(all, name);
  return { ...base, method: 'static', addresses, ...(gateway ? { gateway } : {}), dns };
}

function readWicked(all: Record<string, GuestFile>): NicIntent[] {
  return ifcfgFiles(all).flatMap((p) => intentOf(all, p) ?? []);
}

/** The text without the lines `drop` selects. */
const without = (text: string, drop: (line: string) => boolean) =>
  text
    .split('\n')
    .filter((l) => !drop(l))
    .join('\n');

export const wicked: NetworkModule = {
  name: 'wicked',
  detect: (p) => p.exists('/usr/sbin/wicked'),
  read: readWicked,
  plan(ctx) {
    const result: FixResult = nothing();
    const files = ctx.guest.files;
    const used = new Map<string, number>();
    const names: { name: string; mac: string }[] = [];
    const dhcpNames: string[] = [];
    for (const path of ifcfgFiles(files)) {
      const intent = intentOf(files, path);
      if (!intent) continue;
      const text = fileText(files, path) ?? '';
      const v = shellVars(text);
      const target = rebindMac(boundMacOf(files, intent.name, v) ?? `name:${intent.name}`, ctx.nics, used);
      if (!target) result.findings.push(unboundFinding(path, intent.name));
      else names.push({ name: intent.name, mac: target.mac.toLowerCase() });
      let after = text;
      const why: string[] = [];
      const pin = v.get('LLADDR');
      if (pin) {
        const regenerate = ctx.policy.mac === 'regenerate';
        result.findings.push(macPinFinding(path, pin, 'LLADDR', regenerate));
        if (regenerate) {
          after = without(after, (l) => /^\s*LLADDR=/.test(l));
          why.push('drop the VMware MAC it sets (policy mac = "regenerate")');
        }
      }
      const dhcp = wantsDhcp(ctx.policy, target);
      if (dhcp && intent.method === 'static') {
        after = without(after, (l) => /^\s*(IPADDR|NETMASK|PREFIXLEN|LABEL)(_\w+)?=/.test(l));
        after = /^\s*BOOTPROTO=/m.test(after)
          ? after.replace(/^\s*BOOTPROTO=.*$/m, "BOOTPROTO='dhcp'")
          : `${after}${after.endsWith('\n') || after === '' ? '' : '\n'}BOOTPROTO='dhcp'\n`;
        dhcpNames.push(intent.name);
        why.push('address the interface by DHCP (policy network = "dhcp")');
      }
      result.edits.push(...rewrite(path, text, after, why.join('; ')));
    }
    // A DHCP interface takes its gateway from the lease: a static default route would fight it.
    for (const name of dhcpNames) {
      const path = `${DIR}ifroute-${name}`;
      const text = fileText(files, path);
      if (text !== undefined)
        result.edits.push(...rewrite(path, text, without(text, isDefault()), 'the gateway comes from DHCP now'));
    }
    const routes = fileText(files, ROUTES);
    if (routes !== undefined && dhcpNames.length) {
      const all = readWicked(files).every((n) => n.method === 'dhcp' || dhcpNames.includes(n.name));
      const after = without(
        routes,
        isDefault((dev) => dhcpNames.includes(dev) || (all && dev === '-')),
      );
      result.edits.push(...rewrite(ROUTES, routes, after, 'the gateway comes from DHCP now'));
    }
    if (names.length) {
      const before = fileText(files, NAME_RULES);
      const rules = names.map(
        ({ name, mac }) => `SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${mac}", NAME="${name}"`,
      );
      const head = `# h2k: each KVM NIC keeps the name its wicked configuration (${DIR}ifcfg-NAME) is bound to.`;
      const text = `${head}\n${rules.join('\n')}\n`;
      const reason = `name the KVM NIC(s) ${names.map((n) => n.name).join(', ')} as the wicked configuration expects`;
      result.edits.push(...rewrite(NAME_RULES, before, text, reason));
    }
    result.network = readWicked(afterEdits(files, result.edits));
    return result;
  },
};

/** A routes line that sets the default gateway, for a device `dev` selects (any when absent). */
function isDefault(dev?: (d: string) => boolean): (line: string) => boolean {
  return (line) => {
    const f = line.trim().split(/\s+/);
    return f[0] === 'default' && (!dev || dev(f[3] ?? '-'));
  };
}
