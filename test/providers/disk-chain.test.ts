// Real VMDK files made by qemu-img, then damaged or made hostile by hand.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { DiskChainError } from '../../src/providers/disk-chain/errors.js';
import { resolveChain } from '../../src/providers/disk-chain/file-reader.js';
import { parseVmdkDescriptor, wwnOf } from '../../src/providers/disk-chain/descriptor.js';
import { DatastoreClient } from '../../src/providers/vsphere/datastore.js';
import { resolveRemoteChain } from '../../src/providers/vsphere/remote-chain.js';
import { Sensitive } from '../../src/schema/values.js';
import { tempDir } from '../helpers.js';
import { VC_PASSWORD, VC_USER, type Vcsim, startVcsim } from '../fixtures/vcsim.js';

const qimg = (...a: string[]) => execa('qemu-img', a);
/** A descriptor written by hand: header fields, then `rest` (parent hint and extent lines). */
const descriptor = (cid: string, parentCid: string, createType: string, rest: string) =>
  `# Disk DescriptorFile\nversion=1\nCID=${cid}\nparentCID=${parentCid}\ncreateType="${createType}"\n${rest}\n`;

// Every refusal is checked through both chain readers: local files, and the same files in a
// datastore of a real vcsim read over HTTP Range requests (as a vSphere plan reads them).
let vc: Vcsim | undefined;
let cases = 0;
before(async () => {
  vc = await startVcsim();
});
after(async () => vc?.stop());

async function remoteChain(entry: string) {
  const folder = `chain-case-${++cases}`;
  await vc!.govc(['datastore.mkdir', folder]);
  for (const f of readdirSync(dirname(entry)))
    await vc!.govc(['datastore.upload', join(dirname(entry), f), `${folder}/${f}`]);
  const source = {
    type: 'vsphere' as const,
    address: 'source.vsphere.t',
    url: vc!.url,
    username: VC_USER,
    password: new Sensitive(VC_PASSWORD),
    insecure: true,
  };
  const http = new DatastoreClient(source);
  try {
    return await resolveRemoteChain(http, {
      dcPath: 'DC0',
      datastore: 'LocalDS_0',
      path: `${folder}/${basename(entry)}`,
    });
  } finally {
    http.close();
  }
}

/** Refused locally with `local`, and from the datastore with `remote` (the same unless given). */
async function refused(entry: string, local: RegExp, remote: RegExp = local, opts = { allowAbsolute: false }) {
  const is = (re: RegExp) => (e: unknown) => e instanceof DiskChainError && re.test(e.message);
  await assert.rejects(resolveChain(entry, opts), is(local));
  await assert.rejects(remoteChain(entry), is(remote));
}

describe('VMDK descriptors', () => {
  it('parses a monolithicFlat descriptor written by qemu-img', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(d, 'disk.vmdk'), '16M');
    const desc = parseVmdkDescriptor(readFileSync(join(d, 'disk.vmdk'), 'utf8'));
    assert.equal(desc.createType, 'monolithicFlat');
    assert.deepEqual(desc.extents, [{ access: 'RW', sectors: 32768, type: 'FLAT', file: 'disk-flat.vmdk', offset: 0 }]);
    assert.equal(desc.parentCid, 'ffffffff');
  });

  it('reads the WWN the guest saw from ddb.uuid, as ESXi writes it; none when it is absent or malformed', () => {
    const text = (uuid: string) =>
      `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="vmfs"\n` +
      `RW 4194304 VMFS "d-flat.vmdk"\n${uuid}ddb.adapterType = "lsilogic"\n`;
    assert.deepEqual(
      wwnOf(parseVmdkDescriptor(text('ddb.uuid = "60 00 C2 9f 5b 3e 1c 0d-7a 8e 4f 2b 1c 9d 0e 11"\n'))),
      {
        wwn: '6000c29f5b3e1c0d7a8e4f2b1c9d0e11',
      },
    );
    assert.deepEqual(wwnOf(parseVmdkDescriptor(text(''))), {});
    assert.deepEqual(wwnOf(parseVmdkDescriptor(text('ddb.uuid = "60 00 C2"\n'))), {});
  });

  it('follows a snapshot chain through the embedded descriptor of a sparse delta', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', join(d, 'base.vmdk'), '16M');
    await qimg('create', '-q', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', join(d, 'base-000001.vmdk'));
    const chain = await resolveChain(join(d, 'base-000001.vmdk'), { allowAbsolute: false });
    assert.deepEqual(
      chain.map((c) => c.file),
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
    await refused(desc, /escapes the disk's directory/, /extent "\.\.\/\.\.\/etc\/shadow" is not a file next to it/);
  });

  it('refuses an absolute extent path unless allowed', async () => {
    const { d, desc, text } = await flat();
    writeFileSync(desc, text.replace('"disk-flat.vmdk"', `"${join(d, 'disk-flat.vmdk')}"`));
    await refused(desc, /is absolute/, /is not a file next to it/);
    assert.equal((await resolveChain(desc, { allowAbsolute: true })).length, 1);
  });

  it('refuses a flat extent shorter than the descriptor says (truncated copy)', async () => {
    const { d, desc } = await flat();
    truncateSync(join(d, 'disk-flat.vmdk'), 1024 * 1024);
    await refused(desc, /is truncated: the descriptor needs 16777216 bytes, the file has 1048576/);
  });

  it('refuses a missing extent', async () => {
    const { d, desc } = await flat();
    truncateSync(join(d, 'disk-flat.vmdk'), 0);
    writeFileSync(desc, readFileSync(desc, 'utf8').replace('disk-flat.vmdk', 'gone-flat.vmdk'));
    await refused(desc, /extent file .*gone-flat\.vmdk named by .*disk\.vmdk does not exist/);
  });

  it('refuses a parent loop', async () => {
    const d = tempDir();
    const mk = (name: string, parent: string, cid: string, pcid: string) =>
      writeFileSync(
        join(d, name),
        descriptor(cid, pcid, 'monolithicFlat', `parentFileNameHint="${parent}"\nRW 2048 FLAT "data.raw" 0`),
      );
    writeFileSync(join(d, 'data.raw'), Buffer.alloc(2048 * 512));
    mk('a.vmdk', 'b.vmdk', 'aaaaaaaa', 'bbbbbbbb');
    mk('b.vmdk', 'a.vmdk', 'bbbbbbbb', 'aaaaaaaa');
    await refused(join(d, 'a.vmdk'), /parent loop: .*a\.vmdk is already part of this chain/);
  });

  it('refuses a broken CID chain', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', join(d, 'base.vmdk'), '16M');
    writeFileSync(
      join(d, 'child.vmdk'),
      descriptor(
        '12345678',
        'deadbeef',
        'monolithicFlat',
        'parentFileNameHint="base.vmdk"\nRW 32768 FLAT "base-flat.vmdk" 0',
      ),
    );
    await refused(
      join(d, 'child.vmdk'),
      /broken CID chain: .*child\.vmdk expects parent CID deadbeef, but .*base\.vmdk has CID/,
    );
  });

  it('refuses a raw device mapping', async () => {
    const d = tempDir();
    writeFileSync(
      join(d, 'rdm.vmdk'),
      descriptor('12345678', 'ffffffff', 'vmfsRawDeviceMap', 'RW 2048 VMFSRDM "rdm-rdm.vmdk"'),
    );
    await refused(join(d, 'rdm.vmdk'), /rdm\.vmdk is a raw device mapping \(VMFSRDM\)/);
  });

  it('a renamed monolithicSparse file is its own extent, whatever its descriptor calls it', async () => {
    const d = tempDir();
    await qimg('create', '-q', '-f', 'vmdk', join(d, 'exported.vmdk'), '16M');
    renameSync(join(d, 'exported.vmdk'), join(d, 'renamed.vmdk'));
    const chain = await resolveChain(join(d, 'renamed.vmdk'), { allowAbsolute: false });
    assert.deepEqual(chain[0].dataFiles, [join(d, 'renamed.vmdk')]);
    assert.equal(chain[0].descriptor!.extents[0].file, 'exported.vmdk');
  });

  it('a symlinked disk inside the directory is fine', async () => {
    const { d } = await flat();
    symlinkSync(join(d, 'disk.vmdk'), join(d, 'link.vmdk'));
    assert.equal((await resolveChain(join(d, 'link.vmdk'), { allowAbsolute: false })).length, 1);
  });

  it('malformed descriptor text is a clear error', () => {
    assert.throws(
      () => parseVmdkDescriptor('# Disk DescriptorFile\nversion=1\nCID=zz\ncreateType="x"\nRW 1 FLAT "a" 0\n'),
      /CID "zz" is not a 32-bit hex number/,
    );
    assert.throws(() => parseVmdkDescriptor('hello\n'), /line 1: not a descriptor line/);
  });
});
