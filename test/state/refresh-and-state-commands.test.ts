import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { h2k, writeConfig } from '../helpers.js';

const sha = (b: string) => createHash('sha256').update(b).digest('hex');

function setup(): string {
  const dir = writeConfig({
    'main.h2k.hcl':
      'source "local" "s" {\n  directory = "."\n}\nvm "a" {\n  source = source.local.s\n  disks  = ["a.vmdk"]\n}\n',
  });
  mkdirSync(join(dir, 'out'));
  const disk = 'qcow2 bytes';
  const xml = '<domain/>\n';
  writeFileSync(join(dir, 'out', 'a.qcow2'), disk);
  writeFileSync(join(dir, 'out', 'a.xml'), xml);
  const done = (outputs: { path: string; size: number; sha256: string }[] = []) => ({
    status: 'done',
    input_hash: 'h',
    outputs,
    started_at: 't',
    finished_at: 't',
  });
  mkdirSync(join(dir, '.h2k'));
  writeFileSync(
    join(dir, '.h2k', 'state.json'),
    JSON.stringify({
      version: 1,
      serial: 7,
      lineage: 'lin',
      vms: {
        'vm.a': {
          stages: {
            flatten: done(),
            fix: done(),
            convert: done([{ path: 'out/a.qcow2', size: disk.length, sha256: sha(disk) }]),
            validate: done([{ path: 'out/a.xml', size: xml.length, sha256: sha(xml) }]),
          },
        },
        'vm.gone': { stages: { flatten: done() } },
      },
    }),
  );
  return dir;
}

describe('plan/apply -refresh-only (no guest inspection)', () => {
  it('reports drift, needs confirmation, then makes the state match without touching files', async () => {
    const dir = setup();
    let r = await h2k(['plan', dir, '-refresh-only', '-detailed-exitcode']);
    assert.equal(r.exitCode, 2);
    assert.equal(
      r.stdout,
      'Drift since the last apply:\n  ! vm.gone: in the state but no longer in the configuration; proposed: ' +
        'forget it with h2k state rm (its files are left alone)\nTo make the state match, run: h2k apply ' +
        '-refresh-only\n',
    );

    writeFileSync(join(dir, 'out', 'a.xml'), '<domain>edited</domain>\n');
    r = await h2k(['plan', dir, '-refresh-only']);
    assert.match(
      r.stdout,
      /^ {2}! vm\.a validate out\/a\.xml: modified since it was produced \(size or sha256 differ\)$/m,
    );

    r = await h2k(['apply', dir, '-refresh-only']);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^Error: this needs confirmation, and there is no terminal to ask\n {2}hint: pass -auto-approve\n$/m,
    );

    r = await h2k(['apply', dir, '-refresh-only', '-auto-approve']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stdout,
      /The state now matches what is on disk \(2 record\(s\) forgotten, serial 8\)\. No file was touched\./,
    );
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.vms), ['vm.a']);
    assert.deepEqual(Object.keys(state.vms['vm.a'].stages), ['flatten', 'fix', 'convert']);
    assert.equal(readFileSync(join(dir, 'out', 'a.xml'), 'utf8'), '<domain>edited</domain>\n');

    r = await h2k(['plan', dir, '-refresh-only', '-detailed-exitcode']);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'No drift: the state matches what is on disk.\n');
    assert.equal((await h2k(['audit', 'verify', dir])).exitCode, 0);
  });
});

describe('a refresh-only plan file', () => {
  it('is saved with -out, shown, applied as it is without a prompt, and refused once the state moved', async () => {
    const dir = setup();
    const file = join(dir, 'refresh.json');
    let r = await h2k(['plan', dir, '-refresh-only', '-out', file]);
    assert.equal(r.exitCode, 0, r.stderr);
    const plan = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(plan.mode, 'refresh-only');
    assert.deepEqual(plan.vms, {});
    assert.deepEqual(
      plan.drift.map((d: { vm: string }) => d.vm),
      ['vm.gone'],
    );
    r = await h2k(['show', file]);
    assert.match(r.stdout, /^ {2}! vm\.gone: in the state but no longer in the configuration/m);

    const stale = join(dir, 'stale.json');
    assert.equal((await h2k(['plan', dir, '-refresh-only', '-out', stale])).exitCode, 0);
    r = await h2k(['apply', file]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /The state now matches what is on disk \(1 record\(s\) forgotten, serial 8\)/);
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.vms), ['vm.a']);

    r = await h2k(['apply', stale]);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^Error: the plan is stale: it was made against state serial 7, the state is now at serial 8/m,
    );
    r = await h2k(['apply', file, '-refresh-only']);
    assert.match(r.stderr, /^Error: -refresh-only takes a configuration directory, not a plan file/m);
  });
});

describe('state list, show, rm', () => {
  it('lists, shows one VM as JSON, and forgets one while its files stay', async () => {
    const dir = setup();
    let r = await h2k(['state', 'list', dir]);
    assert.equal(r.stdout, 'vm.a  done: flatten, fix, convert, validate\nvm.gone  done: flatten\n');
    r = await h2k(['state', 'show', 'vm.a', dir]);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout)['vm.a'].stages), ['flatten', 'fix', 'convert', 'validate']);
    r = await h2k(['state', 'rm', 'vm.a', dir]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'Removed vm.a from the state (serial 8). Its files were not touched.\n');
    assert.equal(readFileSync(join(dir, 'out', 'a.qcow2'), 'utf8'), 'qcow2 bytes');
    r = await h2k(['state', 'show', 'vm.a', dir]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^Error: vm\.a is not in the state\n {2}hint: h2k state list \S+ shows what is\n$/);
    const log = await h2k(['audit', 'log', dir]);
    assert.match(log.stdout, /state-rm vm\.a\n$/);
  });
});

describe('drift: a deleted output', () => {
  it('is reported, and its stage and the ones after it are forgotten on refresh', async () => {
    const dir = setup();
    rmSync(join(dir, 'out', 'a.qcow2'));
    const r = await h2k(['plan', dir, '-refresh-only']);
    assert.match(r.stdout, /^ {2}! vm\.a convert out\/a\.qcow2: deleted since it was produced$/m);
    await h2k(['apply', dir, '-refresh-only', '-auto-approve']);
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.vms['vm.a'].stages), ['flatten', 'fix']);
  });
});

describe('stale plan: another lineage at the same serial', () => {
  it('is refused', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': 'policy "p" {\n}\n' });
    mkdirSync(join(dir, '.h2k'));
    const state = (lineage: string) =>
      writeFileSync(join(dir, '.h2k', 'state.json'), JSON.stringify({ version: 1, serial: 5, lineage, vms: {} }));
    state('lineage-a');
    assert.equal((await h2k(['plan', dir, '-out', join(dir, 'plan.json')])).exitCode, 0);
    state('lineage-b');
    const r = await h2k(['apply', join(dir, 'plan.json')]);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`^Error: the plan is stale: it was made against state serial 5, the state is now at serial 5 of` +
          String.raw` another lineage\n`,
      ),
    );
  });
});
