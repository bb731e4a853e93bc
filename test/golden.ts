// Golden files of plan output, normalised so they compare across fixture builds and machines.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.js';

const GOLDEN = join(REPO, 'test', 'golden');

/** MACs h2k derives (52:54:00 and a hash of the state's lineage, which a new state takes from the
 *  configuration, whose source paths name the fixture's build): their stability and uniqueness are
 *  test/planner/derived-macs.test.ts's, and a re-plan that says no changes. */
export function derivedMacs(text: string): string {
  return text.replace(/\b52:54:00(:[0-9a-f]{2}){3}\b/gi, '52:54:00:<derived>');
}

/** Makes plan output comparable across fixture builds and machines. */
export function normalise(text: string, fixture: string, dir: string): string {
  return derivedMacs(text)
    .replaceAll(fixture, '<fixture>')
    .replaceAll(dir, '<config>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\b[0-9a-f]{8}-0\d\b/g, '<partuuid>')
    .replace(/\b[0-9A-F]{4}-[0-9A-F]{4}\b/g, '<vfat-uuid>')
    .replace(/\b(sha256:)?[0-9a-f]{64}\b/g, '<sha256>')
    .replace(/\b\d+\.\d+\.\d+-\d+-amd64\b/g, '<kernel>')
    .replace(/"(mtime_ms|size|free_bytes|total_bytes|allocated_bytes|initrd_bytes|serial)": \d+/g, '"$1": <n>')
    .replace(/"minor": \d+/g, '"minor": <n>')
    .replace(/"product": "12\.\d+"/g, '"product": "12.<n>"')
    .replace(/debian 12\.\d+/g, 'debian 12.<n>')
    .replace(/@@ -\d+,\d+ \+\d+,\d+ @@/g, '@@ <hunk> @@')
    .replace(/\d+(\.\d+)? (MiB|GiB) allocated/g, '<size> allocated')
    .replace(/\d+(\.\d+)?[KMGT]iB read\b/g, '<size> read');
}

/** Compares with test/golden/NAME; UPDATE_GOLDEN=1 (re)writes it. A missing golden fails. */
export function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  assert.ok(existsSync(path), `golden file test/golden/${name} is missing: create it with UPDATE_GOLDEN=1`);
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)`,
  );
}
