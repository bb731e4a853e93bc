// The boot test's verdict from its evidence: the probe's serial lines and the NIC's capture. The
// capture is a real one: written by QEMU's filter-dump would need a boot, so these frames are built
// byte by byte in the pcap format QEMU writes (a DHCPACK, an ARP and an IPv4 packet).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judge } from '../../src/executors/boot-test.js';
import { dhcpAcks, sourceAddresses } from '../../src/executors/net-capture.js';
import { parseProbe } from '../../src/model/boot-probe.js';
import type { NicIntent } from '../../src/model/guest-network.js';

const probeLines = (...lines: string[]) => `[    1.0] kernel noise\n${lines.map((l) => `H2K-PROBE ${l}`).join('\n')}\n`;
const HEALTHY = probeLines(
  'target graphical.target active',
  'root rw',
  'fstab-missing',
  'addr enp1s0 10.0.2.15/24',
  'check 0 ok HTTP/1.0 200 OK',
  'check 1 fail inactive',
  'end',
);

function pcap(frames: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return Buffer.concat([
    header,
    ...frames.flatMap((f) => {
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(f.length, 8);
      rec.writeUInt32LE(f.length, 12);
      return [rec, f];
    }),
  ]);
}
const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));
const ether = (type: number, payload: Buffer) => {
  const h = Buffer.alloc(14);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
};
function ipv4(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  return ether(0x0800, Buffer.concat([h, payload]));
}
function dhcpAck(mac: string, yiaddr: string): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(67, 0);
  udp.writeUInt16BE(68, 2);
  const bootp = Buffer.alloc(244);
  bootp[0] = 2;
  ip4(yiaddr).copy(bootp, 16);
  Buffer.from(mac.split(':').map((h) => parseInt(h, 16))).copy(bootp, 28);
  bootp.writeUInt32BE(0x63825363, 236);
  Buffer.from([53, 1, 5, 255]).copy(bootp, 240);
  return ipv4('10.0.2.2', '255.255.255.255', 17, Buffer.concat([udp, bootp]));
}
function arp(senderIp: string): Buffer {
  const a = Buffer.alloc(28);
  ip4(senderIp).copy(a, 14);
  return ether(0x0806, a);
}

describe('boot test evidence', () => {
  it('reads the probe, the leases and the addresses packets came from', () => {
    const p = parseProbe(HEALTHY);
    assert.deepEqual(p, {
      target: { name: 'graphical.target', state: 'active' },
      root: 'rw',
      fstabMissing: [],
      addrs: [{ dev: 'enp1s0', ip: '10.0.2.15', prefix: 24 }],
      checks: [
        { index: 0, ok: true, detail: 'HTTP/1.0 200 OK' },
        { index: 1, ok: false, detail: 'inactive' },
      ],
      ended: true,
    });
    const cap = pcap([
      dhcpAck('00:50:56:8a:12:34', '10.0.2.15'),
      arp('192.168.7.20'),
      ipv4('10.0.2.15', '10.0.2.2', 1, Buffer.alloc(8)),
    ]);
    assert.deepEqual(dhcpAcks(cap), [{ mac: '00:50:56:8a:12:34', ip: '10.0.2.15' }]);
    assert.deepEqual([...sourceAddresses(cap)].sort(), ['10.0.2.15', '10.0.2.2', '192.168.7.20']);
  });

  it('passes on a DHCP lease whatever MAC the guest chose, and on a static address in use', () => {
    const lease = judge(parseProbe(HEALTHY), { acks: [{ ip: '10.0.2.15' }], sources: new Set() }, true);
    assert.ok(Object.values(lease.checks).every(Boolean));
    assert.deepEqual(lease.network, { ip: '10.0.2.15', how: 'DHCP lease' });
    const statik = parseProbe(HEALTHY.replace('10.0.2.15/24', '192.168.7.20/24'));
    const used = judge(statik, { acks: [], sources: new Set(['192.168.7.20']) }, true);
    assert.deepEqual(used.network, { ip: '192.168.7.20', how: 'in use' });
    assert.ok(used.checks.network);
  });

  it('fails when the static address was lost, when a data disk is not mounted, when / is read-only', () => {
    const lost = judge(
      parseProbe(HEALTHY.replace('H2K-PROBE addr enp1s0 10.0.2.15/24\n', '')),
      { acks: [], sources: new Set(['10.0.2.2']) },
      true,
    );
    assert.equal(lost.checks.network, false);
    assert.deepEqual(lost.detail, ['no IPv4 address configured']);
    const unused = judge(parseProbe(HEALTHY), { acks: [], sources: new Set(['10.0.2.2']) }, true);
    assert.deepEqual(unused.detail, ['no traffic from 10.0.2.15']);
    const data = judge(
      parseProbe(HEALTHY.replace('fstab-missing', 'fstab-missing /data /srv')),
      { acks: [{ ip: '10.0.2.15' }], sources: new Set() },
      true,
    );
    assert.equal(data.checks.fstab_mounted, false);
    assert.deepEqual(data.detail, ['not mounted: /data, /srv']);
    const ro = judge(
      parseProbe(HEALTHY.replace('root rw', 'root ro')),
      { acks: [{ ip: '10.0.2.15' }], sources: new Set() },
      true,
    );
    assert.equal(ro.checks.root_read_write, false);
    const quiet = judge(parseProbe(HEALTHY), { acks: [{ ip: '10.0.2.15' }], sources: new Set() }, false);
    assert.equal(quiet.checks.root_read_write, false, 'a guest that wrote nothing to its disk did not really run');
    const degraded = judge(
      parseProbe(HEALTHY.replace('graphical.target active', 'graphical.target inactive')),
      { acks: [{ ip: '10.0.2.15' }], sources: new Set() },
      true,
    );
    assert.deepEqual(degraded.detail, ['graphical.target is inactive']);
  });

  it('holds the guest to its own network configuration: each static address configured and in use', () => {
    const intended: NicIntent[] = [
      { config: '/etc/netplan/00.yaml', name: 'ens192', method: 'static', addresses: ['192.168.50.20/24'], dns: [] },
    ];
    const statik = parseProbe(HEALTHY.replace('10.0.2.15/24', '192.168.50.20/24'));
    const ok = judge(statik, { acks: [], sources: new Set(['192.168.50.20']) }, true, intended);
    assert.deepEqual(ok.network, { ip: '192.168.50.20', how: 'static, in use' });
    // The guest fell back to DHCP: a lease, but not the address its configuration asks for.
    const fellBack = judge(parseProbe(HEALTHY), { acks: [{ ip: '10.0.2.15' }], sources: new Set() }, true, intended);
    assert.equal(fellBack.checks.network, false);
    assert.deepEqual(fellBack.detail, ['static address 192.168.50.20 not configured']);
    const silent = judge(statik, { acks: [], sources: new Set(['10.0.2.2']) }, true, intended);
    assert.deepEqual(silent.detail, ['static address 192.168.50.20 configured but no traffic from it']);
    const dhcp: NicIntent[] = [{ ...intended[0], method: 'dhcp', addresses: [] }];
    const noLease = judge(parseProbe(HEALTHY), { acks: [], sources: new Set(['10.0.2.15']) }, true, dhcp);
    assert.deepEqual(noLease.detail, ['no DHCP lease for an interface configured by DHCP']);
  });

  it('reports swap that is not active among the fstab entries', () => {
    const p = parseProbe(HEALTHY.replace('fstab-missing', 'fstab-missing swap:/dev/sda3'));
    const v = judge(p, { acks: [{ ip: '10.0.2.15' }], sources: new Set() }, true);
    assert.equal(v.checks.fstab_mounted, false);
    assert.deepEqual(v.detail, ['not mounted: swap:/dev/sda3']);
  });
});
