// Real VMDK files made by qemu-img, then damaged or made hostile by hand.
import assert from 'node:assert/strict';
import { readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { DiskChainError, resolveChain } from '../../src/providers/vmdk/chain.js';
import { parseVmdkDescriptor } from '../../src/providers/vmdk/descriptor.js';
import { tempDir } from '../helpers.js';

const qimg = (...a: string[]) => execa('qemu-img', a);
const refused = (fn: () => unknown, msg: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof DiskChainError && msg.test(e.message));

describe('VMDK descriptors', () => {
  it('parses a monolithicFlat descriptor written by qemu-img', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(d, 'disk.vmdk'), '16M');
    const desc = parseVmdkDescriptor(readFileSync(join(d, 'disk.vmdk'), 'utf8'));
    assert.equal(desc.createType, 'monolithicFlat');
    assert.deepEqual(desc.extents, [{ access: 'RW', sectors: 32768, type: 'FLAT', file: 'disk-flat.vmdk', offset: 0 }]);
    assert.equal(desc.parentCid, 'ffffffff');
  });

  it('follows a snapshot chain through the embedded descriptor of a sparse delta', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', join(d, 'base.vmdk'), '16M');
    await qimg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', join(d, 'base-000001.vmdk'));
    const chain = resolveChain(join(d, 'base-000001.vmdk'), { allowAbsolute: false });
    assert.deepEqual(
      chain.map((c) => c.path),
      [join(d, 'base-000001.vmdk'), join(d, 'base.vmdk')],
    );
    assert.equal(chain[0].descriptor!.parentFileNameHint, 'base.vmdk');
    assert.equal(chain[0].descriptor!.parentCid, chain[1].descriptor!.cid);
  });

  const flat = async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(d, 'disk.vmdk'), '16M');
    return { d, desc: join(d, 'disk.vmdk'), text: readFileSync(join(d, 'disk.vmdk'), 'utf8') };
  };

  it('refuses an extent path that escapes the directory', async () => {
    const { desc, text } = await flat();
    writeFileSync(desc, text.replace('"disk-flat.vmdk"', '"../../etc/shadow"'));
    refused(() => resolveChain(desc, { allowAbsolute: false }), /escapes the disk's directory/);
  });

  it('refuses an absolute extent path unless allowed', async () => {
    const { d, desc, text } = await flat();
    writeFileSync(desc, text.replace('"disk-flat.vmdk"', `"${join(d, 'disk-flat.vmdk')}"`));
    refused(() => resolveChain(desc, { allowAbsolute: false }), /is absolute/);
    assert.equal(resolveChain(desc, { allowAbsolute: true }).length, 1);
  });

  it('refuses a flat extent shorter than the descriptor says (truncated copy)', async () => {
    const { d, desc } = await flat();
    truncateSync(join(d, 'disk-flat.vmdk'), 1024 * 1024);
    refused(
      () => resolveChain(desc, { allowAbsolute: false }),
      /is truncated: the descriptor needs 16777216 bytes, the file has 1048576/,
    );
  });

  it('refuses a missing extent', async () => {
    const { d, desc } = await flat();
    truncateSync(join(d, 'disk-flat.vmdk'), 0);
    writeFileSync(desc, readFileSync(desc, 'utf8').replace('disk-flat.vmdk', 'gone-flat.vmdk'));
    refused(() => resolveChain(desc, { allowAbsolute: false }), /does not exist/);
  });

  it('refuses a parent loop', async () => {
    const d = tempDir();
    const mk = (name: string, parent: string, cid: string, pcid: string) =>
      writeFileSync(
        join(d, name),
        `# Disk DescriptorFile\nversion=1\nCID=${cid}\nparentCID=${pcid}\ncreateType="monolithicFlat"\nparentFileNameHint="${parent}"\nRW 2048 FLAT "data.raw" 0\n`,
      );
    writeFileSync(join(d, 'data.raw'), Buffer.alloc(2048 * 512));
    mk('a.vmdk', 'b.vmdk', 'aaaaaaaa', 'bbbbbbbb');
    mk('b.vmdk', 'a.vmdk', 'bbbbbbbb', 'aaaaaaaa');
    refused(() => resolveChain(join(d, 'a.vmdk'), { allowAbsolute: false }), /parent loop/);
  });

  it('refuses a broken CID chain', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(d, 'base.vmdk'), '16M');
    writeFileSync(
      join(d, 'child.vmdk'),
      `# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=deadbeef\ncreateType="monolithicFlat"\nparentFileNameHint="base.vmdk"\nRW 32768 FLAT "base-flat.vmdk" 0\n`,
    );
    refused(() => resolveChain(join(d, 'child.vmdk'), { allowAbsolute: false }), /broken CID chain/);
  });

  it('a renamed monolithicSparse file is its own extent, whatever its descriptor calls it', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', join(d, 'exported.vmdk'), '16M');
    renameSync(join(d, 'exported.vmdk'), join(d, 'renamed.vmdk'));
    const chain = resolveChain(join(d, 'renamed.vmdk'), { allowAbsolute: false });
    assert.deepEqual(chain[0].dataFiles, [join(d, 'renamed.vmdk')]);
    assert.equal(chain[0].descriptor!.extents[0].file, 'exported.vmdk');
  });

  it('a symlinked disk inside the directory is fine', async () => {
    const { d } = await flat();
    symlinkSync(join(d, 'disk.vmdk'), join(d, 'link.vmdk'));
    assert.equal(resolveChain(join(d, 'link.vmdk'), { allowAbsolute: false }).length, 1);
  });

  it('malformed descriptor text is a clear error', () => {
    assert.throws(
      () => parseVmdkDescriptor('# Disk DescriptorFile\nversion=1\nCID=zz\ncreateType="x"\nRW 1 FLAT "a" 0\n'),
      /CID "zz" is not a 32-bit hex number/,
    );
    assert.throws(() => parseVmdkDescriptor('hello\n'), /line 1: not a descriptor line/);
  });
});
