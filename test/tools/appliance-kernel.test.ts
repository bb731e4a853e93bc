// The appliance boots the host kernel unpacked (appliance-kernel.ts): from the bzImage's own header,
// whatever compression the distribution chose, and only a kernel qemu can enter through PVH.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { hasPvhEntry, unpack } from '../../src/tools/appliance-kernel.js';
import { findApplianceKernel } from '../../src/tools/locate.js';

function hostKernel(): Buffer {
  const file = findApplianceKernel();
  assert.ok(file, 'no /boot/vmlinuz-* with its modules: npm run setup installs linux-image-amd64');
  return readFileSync(join('/boot', file));
}

/** A bzImage around `payload` as the kernel's build lays one out: one setup sector after the boot
 *  sector, the payload's place in the setup header, its uncompressed size appended. */
function bzImage(payload: Buffer, size: number): Buffer {
  const header = Buffer.alloc(1024 + 0x100);
  header[0x1f1] = 1;
  header.write('HdrS', 0x202, 'latin1');
  header.writeUInt16LE(0x20f, 0x206);
  header.writeUInt32LE(0x100, 0x248);
  header.writeUInt32LE(payload.length + 4, 0x24c);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(size);
  return Buffer.concat([header, payload, trailer]);
}

describe('appliance kernel', () => {
  let elf: Buffer | undefined;
  before(async () => {
    elf = await unpack(hostKernel());
  });

  it("unpacks the host's kernel into an ELF image qemu enters through PVH", () => {
    assert.ok(elf, 'the host kernel was not unpacked');
    assert.equal(elf.readUInt32BE(0), 0x7f454c46);
    assert.ok(hasPvhEntry(elf));
  });

  it('reads the payload where the setup header says, gzip as well, the size trailer left out', async () => {
    assert.ok(elf);
    assert.deepEqual(await unpack(bzImage(gzipSync(elf, { level: 1 }), elf.length)), elf);
  });

  it('leaves a kernel it cannot enter or unpack to libguestfs', async () => {
    assert.ok(elf);
    // Each note's type is the last field before its name: turning PHYS32_ENTRY (18) into another type.
    const noPvh = Buffer.from(elf);
    let seen = 0;
    for (let i = noPvh.indexOf('Xen\0', 0, 'latin1'); i > 0; i = noPvh.indexOf('Xen\0', i + 4, 'latin1'))
      if (noPvh.readUInt32LE(i - 4) === 18) {
        noPvh.writeUInt32LE(19, i - 4);
        seen++;
      }
    assert.equal(seen, 1);
    assert.equal(hasPvhEntry(noPvh), false);
    assert.equal(await unpack(bzImage(Buffer.from('00000000', 'hex'), 4)), undefined, 'a format h2k does not know');
    assert.equal(await unpack(bzImage(Buffer.from('02214c18000000', 'hex'), 7)), undefined, 'an lz4 stream cut short');
    assert.equal(await unpack(elf), undefined, 'not a bzImage');
  });
});
