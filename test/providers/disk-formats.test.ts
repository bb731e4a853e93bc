// Disk formats besides VMDK, made by qemu-img (a differencing VHD by hand: qemu-img cannot make
// one): detected from their bytes whatever their names, with their parents held to the same rules
// as a VMDK's.
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { execa } from 'execa';
import { DiskChainError } from '../../src/providers/disk-chain/errors.js';
import { resolveChain } from '../../src/providers/disk-chain/file-reader.js';
import { localDisks } from '../../src/providers/local/disk-facts.js';
import { tempDir } from '../helpers.js';

const qimg = (...a: string[]) => execa('qemu-img', a);
const is = (re: RegExp) => (e: unknown) => e instanceof DiskChainError && re.test(e.message);

/** A VHD's footer and dynamic header checksums: one's complement of the byte sum without the field. */
function checksum(buf: Buffer, field: number): void {
  buf.writeUInt32BE(0, field);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.writeUInt32BE(~sum >>> 0, field);
}

/** Turns qemu-img's dynamic VHD into a differencing one whose relative parent locator is `parent`. */
function differencingVhd(file: string, parent: string): void {
  const img = readFileSync(file);
  const header = img.subarray(512, 1536);
  const name = Buffer.from(parent.replace(/\//g, '\\'), 'utf16le');
  name.copy(header, 768); // the header's reserved tail holds the locator's data
  const entry = header.subarray(576, 600);
  entry.write('W2ru', 0, 'latin1');
  entry.writeUInt32BE(1, 4);
  entry.writeUInt32BE(name.length, 8);
  entry.writeBigUInt64BE(BigInt(512 + 768), 16);
  checksum(header, 36);
  for (const at of [0, img.length - 512]) {
    const footer = img.subarray(at, at + 512);
    footer.writeUInt32BE(4, 60);
    checksum(footer, 64);
  }
  writeFileSync(file, img);
}

describe('disk formats read from their bytes', () => {
  let dir: string;
  before(async () => {
    dir = tempDir();
    await qimg('create', '-q', '-f', 'raw', join(dir, 'base.raw'), '16M');
    await execa('sh', [
      '-c',
      `printf 'h2k-disk-format' | dd of=${join(dir, 'base.raw')} bs=1 seek=1048576 conv=notrunc`,
    ]);
    await qimg('convert', '-O', 'vpc', join(dir, 'base.raw'), join(dir, 'dynamic.vhd'));
    await qimg('convert', '-O', 'vpc', '-o', 'subformat=fixed', join(dir, 'base.raw'), join(dir, 'fixed.vhd'));
    await qimg('convert', '-O', 'vhdx', join(dir, 'base.raw'), join(dir, 'disk.vhdx'));
    await qimg('convert', '-O', 'qcow2', join(dir, 'base.raw'), join(dir, 'disk.qcow2'));
    await qimg('convert', '-O', 'vdi', join(dir, 'base.raw'), join(dir, 'disk.vdi'));
  });

  for (const [file, format] of [
    ['dynamic.vhd', 'vpc'],
    ['fixed.vhd', 'vpc'],
    ['disk.vhdx', 'vhdx'],
    ['disk.qcow2', 'qcow2'],
    ['base.raw', 'raw'],
  ]) {
    it(`${file} is ${format}, also when named .img, and qemu reads it as that`, async () => {
      const renamed = join(dir, `${file}.img`);
      await execa('cp', ['--sparse=always', join(dir, file), renamed]);
      const chain = await resolveChain(renamed, { allowAbsolute: false });
      assert.deepEqual(
        chain.map((l) => l.format),
        [format],
      );
      const { facts } = await localDisks(
        { type: 'local', address: 'source.local.t', directory: dir, allow_absolute_paths: false },
        [`${file}.img`],
      );
      assert.equal(facts[0].format, format);
      const told = JSON.parse((await qimg('info', '--output=json', '-f', format, renamed)).stdout);
      assert.equal(facts[0].virtual_bytes, told['virtual-size']);
      // A fixed VHD's signature is its last sector: probing, qemu takes it for raw, 512 bytes larger.
      const probed = JSON.parse((await qimg('info', '--output=json', renamed)).stdout);
      if (file === 'fixed.vhd') assert.equal(probed.format, 'raw');
      const guest = await execa('qemu-io', ['-r', '-f', format, '-c', 'read -v 1048576 15', renamed]);
      assert.match(guest.stdout, /h2k.disk.format/);
    });
  }

  it('follows a qcow2 backing file inside the directory and names both layers', async () => {
    const top = join(dir, 'top.qcow2');
    await qimg('create', '-q', '-f', 'qcow2', '-F', 'vpc', '-b', 'fixed.vhd', top);
    const chain = await resolveChain(top, { allowAbsolute: false });
    assert.deepEqual(
      chain.map((l) => [l.file, l.format]),
      [
        [top, 'qcow2'],
        [join(dir, 'fixed.vhd'), 'vpc'],
      ],
    );
  });

  it('refuses a qcow2 whose backing file escapes the directory', async () => {
    const sub = tempDir();
    const top = join(sub, 'top.qcow2');
    await qimg('create', '-q', '-f', 'qcow2', '-u', '-F', 'raw', '-b', '../../etc/passwd', top, '16M');
    await assert.rejects(
      resolveChain(top, { allowAbsolute: false }),
      is(/parent path "\.\.\/\.\.\/etc\/passwd" escapes/),
    );
  });

  it('refuses a qcow2 whose backing format disagrees with its backing file', async () => {
    const top = join(dir, 'liar.qcow2');
    await qimg('create', '-q', '-f', 'qcow2', '-u', '-F', 'raw', '-b', 'fixed.vhd', top, '16M');
    await assert.rejects(
      localDisks({ type: 'local', address: 's', directory: dir, allow_absolute_paths: false }, ['liar.qcow2']),
      is(/qemu-img reads the chain as qcow2 ← raw, but its files hold qcow2 ← vpc/),
    );
  });

  it('refuses a differencing VHD whose parent locator leaves the directory', async () => {
    const sub = tempDir();
    await qimg('convert', '-O', 'vpc', join(dir, 'base.raw'), join(sub, 'child.vhd'));
    differencingVhd(join(sub, 'child.vhd'), '..\\..\\outside\\parent.vhd');
    await assert.rejects(
      resolveChain(join(sub, 'child.vhd'), { allowAbsolute: false }),
      is(/parent path "\.\.\/\.\.\/outside\/parent\.vhd" escapes the disk's directory/),
    );
  });

  it('names a differencing VHD with its parent and says to merge it', async () => {
    const sub = tempDir();
    await qimg('convert', '-O', 'vpc', join(dir, 'base.raw'), join(sub, 'child.vhd'));
    renameSync(join(sub, 'child.vhd'), join(sub, 'child.disk'));
    await qimg('convert', '-O', 'vpc', join(dir, 'base.raw'), join(sub, 'parent.vhd'));
    differencingVhd(join(sub, 'child.disk'), '.\\parent.vhd');
    await assert.rejects(resolveChain(join(sub, 'child.disk'), { allowAbsolute: false }), (e: unknown) => {
      assert.ok(e instanceof DiskChainError);
      assert.match(e.message, /child\.disk is a differencing disk \(parent \.\/parent\.vhd\)/);
      assert.match(e.hint, /Merge-VHD/);
      return true;
    });
  });

  it('refuses a VirtualBox image instead of reading its container as raw', async () => {
    await assert.rejects(
      resolveChain(join(dir, 'disk.vdi'), { allowAbsolute: false }),
      is(/disk\.vdi is a VirtualBox VDI image/),
    );
  });
});
