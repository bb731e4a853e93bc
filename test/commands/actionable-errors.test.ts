// What a user can fix is said in one line with a hint, never as "internal error": a tool h2k needs
// that is not installed, a state file that is not JSON, a state of another version. `h2k doctor`
// lists every program h2k runs.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { KNOWN_TOOLS } from '../../src/tools/known-tools.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';

const LOCAL_VM =
  'source "local" "s" {\n  directory = "."\n}\nvm "a" {\n  source = source.local.s\n  disks  = ["a.vmdk"]\n}\n';

/** A PATH with node and nothing else, and an empty tools directory: no external program is found. */
function bareEnv(): Record<string, string> {
  const bin = tempDir();
  symlinkSync(process.execPath, join(bin, 'node'));
  return { PATH: bin, H2K_TOOLS_DIR: tempDir() };
}

function withState(state: string): string {
  const dir = writeConfig({ 'main.h2k.hcl': LOCAL_VM });
  mkdirSync(join(dir, '.h2k'));
  writeFileSync(join(dir, '.h2k', 'state.json'), state);
  return dir;
}

describe('errors a user can act on', () => {
  it('a program h2k needs and cannot find: what it is for, which package brings it', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': LOCAL_VM });
    await execa('qemu-img', ['create', '-q', '-f', 'vmdk', join(dir, 'a.vmdk'), '16M']);
    const r = await h2k(['plan', dir, '--no-color'], { env: bareEnv() });
    assert.equal(r.exitCode, 1, r.stderr);
    assert.equal(
      r.stderr,
      'Error: vm.a: qemu-img is not installed (h2k uses it for overlays, conversion, checks)\n' +
        '  hint: install qemu-utils; `npm run setup` installs everything h2k uses, `h2k doctor` checks it\n',
    );
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  });

  it('a state file that is not JSON: where the previous version is', async () => {
    const dir = withState('{"version": 1, "serial": 3,');
    const r = await h2k(['state', 'list', dir]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^Error: the state file \S+state\.json is not valid JSON/);
    assert.match(r.stderr, /\n {2}hint: h2k keeps the version before its last write in \S+state\.json\.backup/);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  it('a state of another version: which h2k can read it', async () => {
    const dir = withState(JSON.stringify({ version: 99, serial: 1, lineage: 'x', vms: {} }));
    const r = await h2k(['state', 'list', dir]);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^Error: the state in \S+ has version 99; this h2k reads version 1\n {2}hint: a newer h2k wrote it/,
    );
  });

  it('h2k doctor lists every program h2k runs, with the package that brings each', async () => {
    const r = await h2k(['doctor', '--no-launch', '--json'], { env: bareEnv() });
    const checks = JSON.parse(r.stdout).checks as { name: string; ok: boolean; hint?: string }[];
    for (const t of KNOWN_TOOLS) {
      const c = checks.find((x) => x.name === t.name);
      assert.ok(c && !c.ok, `${t.name} is reported missing`);
      assert.ok(c.hint?.includes(t.pkg), `${t.name}: ${c.hint}`);
    }
    for (const name of ['hivexregedit', 'xorriso', 'virsh', 'zstd', 'lz4', 'xz'])
      assert.ok(
        checks.some((c) => c.name === name),
        name,
      );
  });

  it('apply -until: a stage name from the list; not with -workers, whose worker runs the whole job', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': LOCAL_VM });
    const bogus = await h2k(['apply', dir, '-until', 'boot', '--no-color']);
    assert.equal(bogus.exitCode, 1);
    assert.match(
      bogus.stderr,
      /Expected --until=boot to be one of: fetch, flatten, inspect, plan, fix, convert, validate/,
    );
    const fleet = await h2k(['apply', dir, '-until', 'flatten', '-workers', '-auto-approve', '--no-color']);
    assert.equal(fleet.exitCode, 1);
    assert.equal(
      fleet.stderr,
      'Error: -until cannot be combined with -workers\n  hint: apply -until here, then hand the rest to the fleet\n',
    );
  });
});
