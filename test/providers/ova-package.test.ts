// OVF packages made as vSphere exports them (a real streamOptimized VMDK from qemu-img, a real
// tar), then made hostile or damaged by hand; planned through the real CLI with -inspect=false
// (no appliance: every refusal here happens before any tool reads a disk).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { fetchPackage } from '../../src/providers/ova/fetch.js';
import { parseOvf } from '../../src/providers/ova/ovf.js';
import { openPackage } from '../../src/providers/ova/package.js';
import { ovaVmFacts } from '../../src/providers/ova/vm-facts.js';
import { fileSha256 } from '../../src/util/files.js';
import { makeOvfPackage, ovfDescriptor, streamOptimizedDisk, writeTar } from '../fixtures/ova.js';
import { h2k, tempDir, unwatched, writeConfig } from '../helpers.js';

const MAC = '00:50:56:8a:aa:01';
const CAPACITY = 16 * 2 ** 20;

function ovaConfig(path: string, vmExtra = ''): string {
  return writeConfig({
    'main.h2k.hcl': `source "ova" "x" {
  path = "${path}"
}

vm "web" {
  source = source.ova.x${vmExtra}
}
`,
  });
}

async function planError(path: string, vmExtra = ''): Promise<string> {
  const dir = ovaConfig(path, vmExtra);
  const r = await h2k(['plan', dir, '-inspect=false', '--no-color']);
  assert.notEqual(r.exitCode, 0, r.stdout);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
  return r.stderr;
}

describe('OVF packages', () => {
  let work: string;
  let disk: string;
  let ova: string;
  let descriptor: string;
  let manifest: string;

  before(async () => {
    work = tempDir();
    await execa('qemu-img', ['create', '-q', '-f', 'raw', join(work, 'base.raw'), '16M']);
    disk = join(work, 'web-disk1.vmdk');
    await execa('qemu-img', ['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(work, 'base.raw'), disk]);
    ova = await makeOvfPackage(join(work, 'pkg'), disk, { name: 'web', mac: MAC, ova: true, capacityBytes: CAPACITY });
    descriptor = readFileSync(join(work, 'pkg', 'web.ovf'), 'utf8');
    manifest = readFileSync(join(work, 'pkg', 'web.mf'), 'utf8');
  });

  it("reads the VirtualSystem's hardware and disks from the archive's descriptor", async () => {
    const pkg = await openPackage(ova);
    assert.equal(pkg.kind, 'ova');
    assert.equal(pkg.manifest?.algorithm, 'sha256');
    const [sys] = pkg.descriptor.systems;
    assert.deepEqual(
      { name: sys.name, cpus: sys.cpus, memory_mib: sys.memory_mib, firmware: sys.firmware, nics: sys.nics },
      {
        name: 'web',
        cpus: 2,
        memory_mib: 1024,
        firmware: 'bios',
        nics: [{ mac: MAC, network: 'VM Network', adapter: 'VmxNet3' }],
      },
    );
    assert.deepEqual(sys.disks, [
      {
        href: 'web-disk1.vmdk',
        capacity_bytes: CAPACITY,
        format: 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized',
        controller: { type: 'scsi', bus: 0, unit: 0 },
      },
    ]);
  });

  it('plans an OVA and an .ovf with its files alike (hardware from the descriptor)', async () => {
    for (const path of [ova, join(work, 'pkg', 'web.ovf')]) {
      const dir = ovaConfig(path);
      const r = await h2k(['plan', dir, '-inspect=false', '-out', join(dir, 'plan.json'), '--no-color']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /kvm: 2 vCPU, 1024 MiB, bios, virtio 00:50:56:8a:aa:01 \(VM Network\)/);
      const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
      assert.equal(plan.vms['vm.web'].facts.source.package, path.endsWith('.ova') ? 'ova' : 'ovf');
    }
  });

  it('refuses a descriptor that does not match the manifest, naming it', async () => {
    writeTar(join(work, 'tampered.ova'), [
      {
        name: 'web.ovf',
        data: Buffer.from(descriptor.replace('<rasd:VirtualQuantity>2<', '<rasd:VirtualQuantity>64<')),
      },
      { name: 'web.mf', data: Buffer.from(manifest) },
      { name: 'web-disk1.vmdk', data: readFileSync(disk) },
    ]);
    const err = await planError(join(work, 'tampered.ova'));
    assert.match(err, /tampered\.ova: web\.ovf does not match the manifest \(sha256 [0-9a-f]{64}, manifest says/);
  });

  it('FETCH refuses a disk that does not match the manifest and leaves no copy', async () => {
    const bad = Buffer.from(readFileSync(disk));
    bad[bad.length - 600] ^= 0xff;
    writeTar(join(work, 'baddisk.ova'), [
      { name: 'web.ovf', data: Buffer.from(descriptor) },
      { name: 'web.mf', data: Buffer.from(manifest) },
      { name: 'web-disk1.vmdk', data: bad },
    ]);
    const pkg = await openPackage(join(work, 'baddisk.ova'));
    const out = tempDir();
    await assert.rejects(
      fetchPackage({
        pkg,
        hrefs: ['web-disk1.vmdk'],
        dir: out,
        configDir: out,
        ...unwatched,
      }),
      /baddisk\.ova: web-disk1\.vmdk does not match the manifest/,
    );
    assert.deepEqual(readdirSync(join(out, 'disk0')), []);
  });

  it('extracts the disk member byte for byte and resumes a partial copy', async () => {
    const pkg = await openPackage(ova);
    const out = tempDir();
    const whole = readFileSync(disk);
    const half = Math.floor(whole.length / 2);
    await execa('mkdir', ['-p', join(out, 'disk0')]);
    writeFileSync(join(out, 'disk0', 'web-disk1.vmdk.partial'), whole.subarray(0, half));
    const r = await fetchPackage({
      pkg,
      hrefs: ['web-disk1.vmdk'],
      dir: out,
      configDir: out,
      ...unwatched,
    });
    assert.match(r.note, /resumed after 0 MiB/);
    assert.equal(r.details.resumed_from, half);
    assert.equal(r.outputs[0].sha256, await fileSha256(disk));
    assert.equal(await fileSha256(join(out, 'disk0', 'web-disk1.vmdk')), await fileSha256(disk));
    assert.ok(!existsSync(join(out, 'disk0', 'web-disk1.vmdk.partial')));
  });

  it('inspection reads a disk where its header puts it: the second disk costs nothing of the first', async () => {
    // As vSphere exports a VM of two disks: both in one archive, the first large (random bytes, so
    // streamOptimized cannot shrink it). nbdkit's tar filter found a member by running tar over the
    // archive from its start: reading the second disk read all of the first.
    writeFileSync(join(work, 'noise.raw'), randomBytes(CAPACITY));
    const first = join(work, 'noise.vmdk');
    await streamOptimizedDisk(join(work, 'noise.raw'), first);
    const path = await makeOvfPackage(join(work, 'two'), first, {
      name: 'web',
      mac: MAC,
      ova: true,
      capacityBytes: CAPACITY,
      moreDisks: [{ path: disk, capacityBytes: 16 * 2 ** 20 }],
    });
    const second = join(work, 'two', 'web-disk2.vmdk');

    const pkg = await openPackage(path);
    const [sys] = pkg.descriptor.systems;
    assert.deepEqual(
      sys.disks.map((d) => d.href),
      ['web-disk1.vmdk', 'web-disk2.vmdk'],
    );
    const facts = await ovaVmFacts(pkg, sys, { inspect: true });
    const opened = await facts.open!();
    let read: number;
    try {
      assert.deepEqual(readFileSync(opened.disks[1].path), readFileSync(second), 'the second disk as served');
    } finally {
      read = await opened.close();
    }
    const size = statSync(second).size;
    assert.ok(read <= size + 2 ** 20, `read ${read} bytes to serve a member of ${size}`);
  });

  for (const [what, members, expected] of [
    [
      'a member that climbs out with ../',
      (d: Buffer) => [
        { name: 'web.ovf', data: d },
        { name: '../web-disk1.vmdk', data: Buffer.from('x') },
      ],
      /member "\.\.\/web-disk1\.vmdk" climbs out of the archive with "\.\."/,
    ],
    [
      'an absolute member name',
      (d: Buffer) => [
        { name: 'web.ovf', data: d },
        { name: '/etc/web-disk1.vmdk', data: Buffer.from('x') },
      ],
      /member "\/etc\/web-disk1\.vmdk" is absolute/,
    ],
    [
      'a member given twice',
      (d: Buffer) => [
        { name: 'web.ovf', data: d },
        { name: 'web-disk1.vmdk', data: Buffer.from('x') },
        { name: 'web-disk1.vmdk', data: Buffer.from('y') },
      ],
      /member "web-disk1\.vmdk" appears twice/,
    ],
    [
      'a symlink member',
      (d: Buffer) => [
        { name: 'web.ovf', data: d },
        { name: 'web-disk1.vmdk', data: Buffer.alloc(0), type: '2' },
      ],
      /member "web-disk1\.vmdk" is a link/,
    ],
  ] as const) {
    it(`refuses an archive with ${what} before reading any member`, async () => {
      const path = join(work, `hostile-${what.replace(/\W+/g, '-')}.ova`);
      writeTar(path, members(Buffer.from(descriptor)) as { name: string; data: Buffer; type?: string }[]);
      const err = await planError(path);
      assert.match(err, expected);
      assert.match(err, /h2k reads no member of it/);
    });
  }

  it('refuses an href that is a URL', async () => {
    const xml = ovfDescriptor(
      { name: 'web', mac: MAC, disk, href: 'https://evil.example/web-disk1.vmdk' },
      1,
      CAPACITY,
    );
    const path = join(work, 'url.ova');
    writeTar(path, [{ name: 'web.ovf', data: Buffer.from(xml) }]);
    assert.match(await planError(path), /references "https:\/\/evil\.example\/web-disk1\.vmdk", a URL/);
  });

  it('refuses a disk href pointing at a member that is not a disk', async () => {
    const xml = ovfDescriptor({ name: 'web', mac: MAC, disk, href: 'notes.txt' }, 5, CAPACITY);
    const path = join(work, 'notdisk.ova');
    writeTar(path, [
      { name: 'web.ovf', data: Buffer.from(xml) },
      { name: 'notes.txt', data: Buffer.from('hello\n') },
    ]);
    assert.match(await planError(path), /notdisk\.ova:notes\.txt is neither a VMDK descriptor nor a sparse VMDK/);
    const mf = join(work, 'mfdisk.ova');
    const pointing = Buffer.from(ovfDescriptor({ name: 'web', mac: MAC, disk, href: 'web.mf' }, 5, CAPACITY));
    const digest = createHash('sha256').update(pointing).digest('hex');
    writeTar(mf, [
      { name: 'web.ovf', data: pointing },
      { name: 'web.mf', data: Buffer.from(`SHA256(web.ovf)= ${digest}\n`) },
    ]);
    assert.match(await planError(mf), /references web\.mf, which is not a disk/);
  });

  it('reads every VirtualSystem of a collection; a vm without a name is then ambiguous', async () => {
    const one = (id: string, cpus: number) =>
      `<VirtualSystem ovf:id="${id}"><Name>${id}</Name><VirtualHardwareSection><Item>` +
      `<rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>` +
      `<rasd:VirtualQuantity>${cpus}</rasd:VirtualQuantity></Item></VirtualHardwareSection></VirtualSystem>`;
    const xml =
      '<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" ' +
      'xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">' +
      `<References/><VirtualSystemCollection ovf:id="app">${one('front', 2)}${one('back', 8)}` +
      '</VirtualSystemCollection></Envelope>';
    assert.deepEqual(
      parseOvf(xml).systems.map((s) => [s.name, s.cpus]),
      [
        ['front', 2],
        ['back', 8],
      ],
    );
    const path = join(work, 'two.ova');
    writeTar(path, [{ name: 'app.ovf', data: Buffer.from(xml) }]);
    assert.match(await planError(path), /The package holds 2 VirtualSystems \("front", "back"\); pick one with name/);
  });

  it('names the VirtualSystem a vm asks for when the package lacks it', async () => {
    const err = await planError(ova, '\n  name = "db"');
    assert.match(err, /No VirtualSystem named "db" in the package; it holds "web"/);
    assert.match(err, /main\.h2k\.hcl:\d+:\d+/);
  });
});
