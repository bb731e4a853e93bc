// Reads a pcap written by QEMU's filter-dump of the guest's NIC: the DHCP leases acknowledged, and
// the IPv4 addresses packets came from (IPv4 sources and ARP senders). Guest-agnostic evidence that
// an address a guest configured is really in use on the KVM NIC. Pure.

export interface DhcpAck {
  mac: string;
  ip: string;
}

/** The Ethernet frames of a pcap (either byte order), in order. */
function frames(pcap: Buffer): Buffer[] {
  if (pcap.length < 24) return [];
  const magic = pcap.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) return [];
  const u32 = (o: number) => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= pcap.length;) {
    const caplen = u32(off + 8);
    out.push(pcap.subarray(off + 16, off + 16 + caplen));
    off += 16 + caplen;
  }
  return out;
}

export function dhcpAcks(pcap: Buffer): DhcpAck[] {
  return frames(pcap).flatMap((f) => parseFrame(f) ?? []);
}

const dotted = (b: Buffer) => [...b].join('.');

/** Every IPv4 address that sent a packet: IPv4 source addresses and ARP sender addresses. */
export function sourceAddresses(pcap: Buffer): Set<string> {
  const out = new Set<string>();
  for (const f of frames(pcap)) {
    if (f.length < 14) continue;
    const type = f.readUInt16BE(12);
    if (type === 0x0800 && f.length >= 14 + 20) out.add(dotted(f.subarray(14 + 12, 14 + 16)));
    if (type === 0x0806 && f.length >= 14 + 28) out.add(dotted(f.subarray(14 + 14, 14 + 18)));
  }
  out.delete('0.0.0.0');
  return out;
}

function parseFrame(f: Buffer): DhcpAck | undefined {
  if (f.length < 14 + 20 + 8 + 240 || f.readUInt16BE(12) !== 0x0800) return undefined;
  const ip = f.subarray(14);
  const ihl = (ip[0] & 0x0f) * 4;
  if (ip[9] !== 17) return undefined; // UDP
  const udp = ip.subarray(ihl);
  if (udp.readUInt16BE(0) !== 67 || udp.readUInt16BE(2) !== 68) return undefined;
  const bootp = udp.subarray(8);
  if (bootp[0] !== 2 || bootp.length < 240 || bootp.readUInt32BE(236) !== 0x63825363) return undefined;
  let type = 0;
  for (let i = 240; i < bootp.length;) {
    const code = bootp[i];
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 53) type = bootp[i + 2];
    i += 2 + bootp[i + 1];
  }
  if (type !== 5) return undefined; // DHCPACK
  const mac = [...bootp.subarray(28, 34)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const yiaddr = [...bootp.subarray(16, 20)].join('.');
  return { mac, ip: yiaddr };
}
