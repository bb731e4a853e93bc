// Reads a pcap written by QEMU's filter-dump and tells whether the DHCP server acknowledged a lease
// for a MAC address: the guest-agnostic proof that the NIC came up and asked for an address.

export interface DhcpAck {
  mac: string;
  ip: string;
}

export function dhcpAcks(pcap: Buffer): DhcpAck[] {
  if (pcap.length < 24) return [];
  const magic = pcap.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) return [];
  const u32 = (o: number) => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const acks: DhcpAck[] = [];
  for (let off = 24; off + 16 <= pcap.length;) {
    const caplen = u32(off + 8);
    const frame = pcap.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const ack = parseFrame(frame);
    if (ack) acks.push(ack);
  }
  return acks;
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
