// The guest facts kept from a VM's last inspection: found only under the key they were written
// with, so a source whose size, time or sampled content changed (or another source or chain) is
// inspected again, and so is a Windows guest whose policy's virtio-win changed.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GuestFacts } from '../../src/model/guest-facts.js';
import type { SourceVmFacts } from '../../src/providers/driver.js';
import type { PolicySettings } from '../../src/schema/config-schema.js';
import { inspectionHostInputs } from '../../src/guests/registry.js';
import { cacheGuest, cachedGuest, factsKey } from '../../src/operations/facts-cache.js';
import { tempDir } from '../helpers.js';

const file = { file: 'd.vmdk', size: 2 ** 30, mtime_ms: 1_700_000_000_000, sample_sha256: 'a'.repeat(64) };
const facts = (over: Partial<SourceVmFacts> = {}): SourceVmFacts => ({
  source: { type: 'local' },
  disks: [{ name: 'd.vmdk', format: 'vmdk', virtual_bytes: 2 ** 31, allocated_bytes: 2 ** 30, chain: [] }],
  hardware: { nics: [] },
  fingerprint: { files: [file], descriptor_sha256: 'b'.repeat(64) },
  ...over,
});
const linux = { family: 'linux', root: '/dev/sda1' } as unknown as GuestFacts;

describe('guest facts kept from the last inspection', () => {
  it('the key follows the fingerprint, the chain, the source and the data the disks hold', () => {
    const key = factsKey(facts(), '');
    assert.equal(factsKey(facts(), ''), key);
    const moved = facts({ fingerprint: { files: [{ ...file, mtime_ms: file.mtime_ms + 1 }], descriptor_sha256: '' } });
    assert.notEqual(factsKey(moved, ''), key);
    const content = facts({
      fingerprint: { files: [{ ...file, sample_sha256: 'c'.repeat(64) }], descriptor_sha256: '' },
    });
    assert.notEqual(factsKey(content, ''), factsKey(moved, ''));
    const chain = facts();
    chain.disks[0].chain = [{ file: 'd-000001.vmdk', format: 'vmdk', data_files: [] }];
    assert.notEqual(factsKey(chain, ''), key);
    // Data bytes are the image's own (qemu-img map), not how the host stores the file.
    const grown = facts();
    grown.disks[0].allocated_bytes += 65536;
    assert.notEqual(factsKey(grown, ''), key);
  });

  it('found under its key only; another VM or key finds nothing', () => {
    const dir = tempDir();
    const key = factsKey(facts(), '');
    cacheGuest(dir, 'vm.a', key, linux);
    assert.deepEqual(cachedGuest(dir, 'vm.a', key)?.guest, linux);
    assert.match(cachedGuest(dir, 'vm.a', key)!.inspected_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal(cachedGuest(dir, 'vm.a', 'other'), undefined);
    assert.equal(cachedGuest(dir, 'vm.b', key), undefined);
  });

  it('a damaged entry is a miss, not an error', () => {
    const dir = tempDir();
    const key = factsKey(facts(), '');
    cacheGuest(dir, 'vm.a', key, linux);
    const [entry] = readdirSync(join(dir, '.h2k', 'facts'));
    writeFileSync(join(dir, '.h2k', 'facts', entry), '{"key":');
    assert.equal(cachedGuest(dir, 'vm.a', key), undefined);
  });

  it("the key follows the policy's virtio-win: a file of the tree or the ISO changed, another path", () => {
    const dir = tempDir();
    const tree = join(dir, 'virtio-win');
    mkdirSync(join(tree, 'viostor', '2k19', 'amd64'), { recursive: true });
    const inf = join(tree, 'viostor', '2k19', 'amd64', 'viostor.inf');
    writeFileSync(inf, '[Version]\n');
    const policy = (virtio_win?: string) => ({ ...(virtio_win ? { virtio_win } : {}) }) as PolicySettings;
    const key = (p: PolicySettings) => factsKey(facts(), inspectionHostInputs(p, dir));
    const before = key(policy('virtio-win'));
    assert.equal(key(policy('virtio-win')), before);
    assert.notEqual(key(policy()), before);
    writeFileSync(inf, '[Version]\nDriverVer=1\n');
    const changed = key(policy('virtio-win'));
    assert.notEqual(changed, before);
    writeFileSync(join(dir, 'virtio-win.iso'), 'CD001');
    const iso = key(policy('virtio-win.iso'));
    assert.notEqual(iso, changed);
    appendFileSync(join(dir, 'virtio-win.iso'), 'more');
    assert.notEqual(key(policy('virtio-win.iso')), iso);
    assert.notEqual(key(policy('gone.iso')), iso);
  });
});
