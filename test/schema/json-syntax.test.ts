// `.h2k.hcl.json`: HCL's JSON syntax for generated configuration. The example configuration written
// as JSON must load to the same configuration as the native files, and its errors point into the
// JSON file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Config } from '../../src/schema/config.js';
import { REPO, jsNumbers, load, tempDir } from '../helpers.js';

const EXAMPLE_AS_JSON = {
  '//': 'The example configuration (examples/*.h2k.hcl), as a generator would write it.',
  variable: {
    guest_dir: {
      type: 'string',
      description: "Directory holding the demo guest's VMDK files (npm run demo builds and fills it)",
      default: '../.demo/guest',
    },
  },
  locals: { out_root: './output', team: 'platform' },
  policy: {
    base: {
      output_format: 'qcow2',
      output_dir: '${local.out_root}/${local.team}',
      boot_test: true,
      boot_timeout: 600,
    },
    linux: {
      extends: '${policy.base}',
      fstab_mode: 'uuid',
      network: 'preserve',
      remove_vmware_tools: true,
      initramfs_drivers: ['virtio_blk', 'virtio_net', 'virtio_pci', 'virtio_scsi'],
    },
  },
  source: { local: { demo: { directory: '${var.guest_dir}' } } },
  vm: {
    debian: {
      source: '${source.local.demo}',
      disks: ['debian-vmware-sparse.vmdk'],
      policy: '${policy.linux}',
      cpus: 2,
      memory: 1024,
      nics: [{ mac: '00:50:56:8a:12:34', network: 'default' }],
    },
  },
};

/** What the configuration means, without where it was written. */
function meaning(c: Config) {
  return {
    variables: Object.fromEntries(Object.entries(c.variables).map(([k, v]) => [k, jsNumbers(v.value)])),
    sources: c.sources,
    policies: c.policies,
    vms: c.vms.map(({ at: _at, ...vm }) => vm),
  };
}

describe('HCL JSON syntax (.h2k.hcl.json)', () => {
  it('the example written as JSON means what the native files mean', () => {
    const native: Record<string, string> = {};
    for (const f of ['variables.h2k.hcl', 'policies.h2k.hcl', 'local-debian.h2k.hcl'])
      native[f] = readFileSync(join(REPO, 'examples', f), 'utf8');
    const a = load(native);
    const b = load({ 'main.h2k.hcl.json': JSON.stringify(EXAMPLE_AS_JSON, null, 2) });
    assert.deepEqual(b.diagnostics, []);
    // The configurations live in different temporary directories: compare relative to each.
    const rel = (c: Config, dir: string) => JSON.parse(JSON.stringify(meaning(c)).split(dir).join('<dir>'));
    assert.deepEqual(rel(b.config!, b.dir), rel(a.config!, a.dir));
  });

  it('native and JSON files mix in one configuration', () => {
    const r = load({
      'vars.h2k.hcl': 'variable "n" {\n  type = number\n  default = 2\n}\n',
      'main.h2k.hcl.json': JSON.stringify({ locals: { doubled: '${var.n * 2}', text: 'n is ${var.n}' } }),
    });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.config!.variables.n.type, 'number');
  });

  it('errors point into the JSON file: unknown block, bad value, invalid JSON', () => {
    const json = '{\n  "polcy": {"p": {}},\n  "policy": {"p": {"boot_timeout": "soon"}}\n}\n';
    const r = load({ 'main.h2k.hcl.json': json });
    const got = r.diagnostics.map((d) => [d.range?.start.line, d.range?.start.column, d.summary]);
    assert.deepEqual(got, [
      [2, 3, 'Unsupported argument'],
      [3, 36, 'Incorrect attribute value type'],
    ]);
    // Inside a string, a template's error is where it stands in the JSON file.
    const tmpl = load({ 'main.h2k.hcl.json': '{\n  "locals": {"x": "a ${1 +}"}\n}\n' });
    assert.deepEqual(
      tmpl.diagnostics.map((d) => [d.range?.start.line, d.range?.start.column, d.summary]),
      [[2, 27, 'Invalid expression']],
    );
    const broken = load({ 'main.h2k.hcl.json': '{\n  "vm": {"a": {"cpus": 2,}}\n}\n' });
    assert.deepEqual(
      broken.diagnostics.map((d) => [d.range?.start.line, d.range?.start.column, d.summary]),
      [[2, 26, 'Invalid JSON object key']],
    );
  });

  it('a -var-file in JSON sets values; a property given twice is an error', () => {
    const dir = tempDir();
    const ok = join(dir, 'vals.json');
    writeFileSync(ok, '{"n": 5, "names": ["a", "b"]}');
    const files = {
      'v.h2k.hcl': 'variable "n" {\n  type = number\n}\nvariable "names" {\n  type = list(string)\n}\n',
    };
    const r = load(files, { inputs: [{ kind: 'file', path: ok }] });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(jsNumbers(r.config!.variables.n.value), 5);
    const twice = join(dir, 'twice.json');
    writeFileSync(twice, '{"n": 5,\n "n": 6}');
    const bad = load(files, {
      inputs: [
        { kind: 'file', path: twice },
        { kind: 'file', path: ok },
      ],
    });
    assert.deepEqual(
      bad.diagnostics.map((d) => [d.range?.start.line, d.summary]),
      [[2, 'Attribute redefined']],
    );
  });
});
