import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import hcl from 'hcl2-parser';
import type { Body, Expr } from '../../src/schema/ast.js';
import { policyDefaults } from '../../src/schema/config-schema.js';
import { configHash } from '../../src/schema/config-hash.js';
import { HclNumber } from '../../src/schema/number.js';
import { parseFile } from '../../src/schema/parser.js';
import { SourceFile } from '../../src/schema/source-file.js';
import { Sensitive } from '../../src/schema/values.js';
import { REPO, exampleFiles, load, tempDir, jsNumbers } from '../helpers.js';
import { asLocal } from '../../src/providers/local/config.js';
import { asVsphere } from '../../src/providers/vsphere/config.js';

const FULL = `
variable "dc" {
  type        = string
  default     = "DC0"
  description = "datacenter"
}
variable "pw" {
  type      = string
  sensitive = true
  default   = "hunter2"
}
variable "sizes" {
  type    = map(number)
  default = { a = 1, b = 2 }
}
locals {
  prefix = lower("\${var.dc}-VM")
  count  = length(var.sizes) * 2
}
source "vsphere" "vc" {
  url        = "https://vc.example/sdk"
  username   = "admin"
  password   = var.pw
  datacenter = var.dc
  insecure   = true
}
source "local" "disks" {
  directory = "images"
}
policy "base" {
  output_format = "raw"
  boot_timeout  = 120
}
policy "child" {
  extends  = policy.base
  compress = true
}
vm "one" {
  source = source.local.disks
  disks  = ["a.vmdk", "b.vmdk"]
  policy = policy.child
  cpus   = local.count
  memory = 2048
  nics   = [{ mac = "00:50:56:AA:BB:CC", network = "lan" }]
  overrides = {
    boot_test = false
  }
}
vm "many" {
  for_each = var.sizes
  source   = source.vsphere.vc
  name     = "\${local.prefix}\${each.key}"
  cpus     = each.value
}
vm "listed" {
  for_each = ["x", "y", "x"]
  source   = source.vsphere.vc
  path     = "/\${source.vsphere.vc.datacenter}/vm/\${each.value}"
}
`;

describe('a configuration using every block type', () => {
  const r = load({ 'main.h2k.hcl': FULL });
  const c = r.config!;

  it('loads without diagnostics', () => assert.deepEqual(r.diagnostics, []));

  it('variables carry type, value, description and sensitivity', () => {
    assert.deepEqual(c.variables.dc, { type: 'string', value: 'DC0', sensitive: false, description: 'datacenter' });
    assert.ok(c.variables.pw.value instanceof Sensitive);
    assert.equal(c.variables.sizes.type, 'map(number)');
  });

  it('sources are typed; the password stays sensitive', () => {
    const vc = asVsphere(c.sources['source.vsphere.vc']);
    assert.ok(vc.password instanceof Sensitive && vc.password.reveal() === 'hunter2');
    assert.equal(vc.datacenter, 'DC0');
    const local = asLocal(c.sources['source.local.disks']);
    assert.equal(local.directory, join(r.dir, 'images'));
    assert.doesNotMatch(JSON.stringify(c), /hunter2/);
  });

  it('policies extend their parent over the defaults', () => {
    assert.deepEqual(c.policies.child, {
      ...policyDefaults(),
      output_format: 'raw',
      boot_timeout: 120,
      compress: true,
    });
  });

  it('a vm gets its policy plus overrides, locals and normalised MACs', () => {
    const one = c.vms.find((v) => v.address === 'vm.one')!;
    assert.equal(one.policyAddress, 'policy.child');
    assert.equal(one.policy.boot_test, false);
    assert.equal(one.policy.compress, true);
    assert.equal(one.cpus, 4);
    assert.deepEqual(one.nics, [{ model: 'virtio', mac: '00:50:56:aa:bb:cc', network: 'lan' }]);
    assert.deepEqual(one.disks, ['a.vmdk', 'b.vmdk']);
  });

  it('for_each over a map and over a list (deduplicated) makes addressed instances', () => {
    assert.deepEqual(
      c.vms.map((v) => v.address),
      ['vm.listed["x"]', 'vm.listed["y"]', 'vm.many["a"]', 'vm.many["b"]', 'vm.one'],
    );
    const b = c.vms.find((v) => v.address === 'vm.many["b"]')!;
    assert.equal(b.name, 'dc0-vmb');
    assert.equal(b.cpus, 2);
    assert.equal(b.policyAddress, null);
    assert.deepEqual(b.policy, policyDefaults());
    assert.equal(c.vms.find((v) => v.address === 'vm.listed["y"]')!.path, '/DC0/vm/y');
  });
});

describe('input variable precedence', () => {
  const files = {
    'main.h2k.hcl':
      'variable "v" {\n  type    = number\n  default = 1\n}\nvariable "l" {\n  type    = list(string)\n  ' +
      'default = []\n}\n',
  };
  const value = (inputs: Parameters<typeof load>[1]) => jsNumbers(load(files, inputs).config!.variables.v.value);
  const varFile = (text: string) => {
    const p = join(tempDir(), 'vals.hcl');
    writeFileSync(p, text);
    return p;
  };

  it('default when nothing is given', () => assert.equal(value({}), 1));
  it('environment beats the default', () => assert.equal(value({ env: { H2K_VAR_v: '2' } }), 2));
  it('a -var-file beats the environment', () =>
    assert.equal(value({ env: { H2K_VAR_v: '2' }, inputs: [{ kind: 'file', path: varFile('v = 3\n') }] }), 3));
  it('-var and -var-file: the later one on the command line wins', () => {
    const f = varFile('v = 3\n');
    assert.equal(
      value({
        env: { H2K_VAR_v: '2' },
        inputs: [
          { kind: 'file', path: f },
          { kind: 'var', text: 'v=4' },
        ],
      }),
      4,
    );
    assert.equal(
      value({
        inputs: [
          { kind: 'var', text: 'v=4' },
          { kind: 'file', path: f },
        ],
      }),
      3,
    );
  });
  it('collection values from strings are parsed as HCL', () => {
    assert.deepEqual(
      jsNumbers(load(files, { inputs: [{ kind: 'var', text: 'l=["a", "b"]' }] }).config!.variables.l.value),
      ['a', 'b'],
    );
    assert.deepEqual(load(files, { env: { H2K_VAR_l: '["c"]' } }).config!.variables.l.value, ['c']);
  });
  it('a number variable takes what HCL reads as a number, and nothing else', () => {
    const given = (text: string) => load(files, { inputs: [{ kind: 'var', text: `v=${text}` }] });
    assert.equal(jsNumbers(given('1e3').config!.variables.v.value), 1000);
    assert.equal(jsNumbers(given('.5').config!.variables.v.value), 0.5);
    for (const bad of [' 1', '0x10', '1_000', '12GB'])
      assert.deepEqual(
        given(bad).diagnostics.map((d) => d.summary),
        ['Invalid value for input variable'],
        bad,
      );
  });
  it('a -var-file that sets a name twice is an error, as in HCL', () => {
    const r = load(files, { inputs: [{ kind: 'file', path: varFile('v = 3\nv = 4\n') }] });
    assert.deepEqual(
      r.diagnostics.map((d) => [d.range?.start.line, d.summary]),
      [[2, 'Attribute redefined']],
    );
  });
});

describe('parser agrees with hcl2-parser on structure and literals', () => {
  // hcl2-parser (HashiCorp's Go parser compiled to JS) is the reference here; it cannot give
  // positions or keep comments, so it is our oracle rather than our parser.
  const shape = (body: Body): unknown => {
    const out: Record<string, unknown> = {};
    for (const a of body.attributes) out[a.name] = literal(a.expr);
    for (const b of body.blocks) {
      if (b.labels.length === 0) {
        out[b.type] = [...((out[b.type] as unknown[]) ?? []), shape(b.body)];
        continue;
      }
      let node = ((out[b.type] as Record<string, unknown>) ??= {});
      b.labels.forEach((l, i) => {
        if (i === b.labels.length - 1) ((node[l.value] as unknown[]) ??= []).push(shape(b.body));
        else node = (node[l.value] as Record<string, unknown>) ??= {};
      });
    }
    return out;
  };
  const literal = (e: Expr): unknown =>
    e.kind === 'literal'
      ? e.value instanceof HclNumber
        ? e.value.toNumber()
        : e.value
      : e.kind === 'template' && e.parts.every((p) => typeof p === 'string')
        ? e.parts.join('')
        : '<expr>';
  const theirs = (v: unknown): unknown => {
    if (typeof v === 'string' && v.includes('${')) return '<expr>';
    if (Array.isArray(v)) return v.map(theirs);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, theirs(x)]));
    return v;
  };
  const prune = (ours: unknown, ref: unknown): unknown => {
    // hcl2-parser renders non-literal expressions as "${...}" or structures; compare those loosely.
    if (ours === '<expr>') return '<expr>';
    if (Array.isArray(ours) && Array.isArray(ref)) return ours.map((o, i) => prune(o, ref[i]));
    if (ours && typeof ours === 'object' && ref && typeof ref === 'object')
      return Object.fromEntries(
        Object.entries(ours).map(([k, o]) => [k, prune(o, (ref as Record<string, unknown>)[k])]),
      );
    return ours;
  };
  const normaliseRef = (ours: unknown, ref: unknown): unknown => {
    if (ours === '<expr>') return '<expr>';
    if (Array.isArray(ours) && Array.isArray(ref)) return ref.map((r, i) => normaliseRef(ours[i], r));
    if (ours && typeof ours === 'object' && ref && typeof ref === 'object')
      return Object.fromEntries(
        Object.entries(ref).map(([k, r]) => [k, normaliseRef((ours as Record<string, unknown>)[k], r)]),
      );
    return ref;
  };
  for (const f of exampleFiles()) {
    it(f, () => {
      const text = readFileSync(join(REPO, f), 'utf8');
      const [ref, err] = hcl.parseToObject(text) as [unknown, unknown];
      assert.equal(err, null);
      const ours = shape(parseFile(new SourceFile(f, text)).body);
      assert.deepEqual(prune(ours, ref), normaliseRef(ours, theirs(ref)));
    });
  }
});

describe('config hash', () => {
  const files = {
    'main.h2k.hcl':
      'variable "pw" {\n  sensitive = true\n}\nvariable "n" {\n  type = number\n}\nsource "vsphere" "v" {\n  ' +
      'url      = "https://vc/sdk"\n  password = var.pw\n}\n',
  };
  const hash = (pw: string, n: string) =>
    configHash(
      load(files, {
        inputs: [
          { kind: 'var', text: `pw=${pw}` },
          { kind: 'var', text: `n=${n}` },
        ],
      }).config!,
    );
  it('changes with a value, not with a secret (rotating a password is not a new plan)', () => {
    assert.equal(hash('a', '1'), hash('b', '1'));
    assert.notEqual(hash('a', '1'), hash('a', '2'));
  });
  it('does not depend on where the configuration lives', () => {
    assert.equal(hash('a', '1'), hash('a', '1'));
    assert.match(hash('a', '1'), /^sha256:[0-9a-f]{64}$/);
  });
});

describe('service checks in a policy', () => {
  it('are decoded in order (http expects 200 unless told); a child inherits them unless it declares its own', () => {
    const r = load({
      'main.h2k.hcl':
        'policy "a" {\n  check "http" { url = "http://localhost/health" }\n  check "tcp" { port = 5432 }\n}\n' +
        'policy "b" {\n  extends = policy.a\n}\n' +
        'policy "c" {\n  extends = policy.a\n  check "unit" { name = "nginx.service" }\n}\n',
    });
    assert.deepEqual(r.diagnostics, []);
    const a = [
      { kind: 'http', url: 'http://localhost/health', expect_status: 200 },
      { kind: 'tcp', port: 5432 },
    ];
    assert.deepEqual(r.config!.policies.a.checks, a);
    assert.deepEqual(r.config!.policies.b.checks, a);
    assert.deepEqual(r.config!.policies.c.checks, [{ kind: 'unit', name: 'nginx.service' }]);
  });

  it('bad ones are errors at their file:line:col, all at once', () => {
    const r = load({
      'main.h2k.hcl':
        'policy "a" {\n  check "ping" { host = "x" }\n  check "tcp" { port = 70000 }\n' +
        '  check "http" { url = "ftp://x/" }\n' +
        '  check { port = 1 }\n  check "unit" {\n    name = "a"\n    inner {}\n  }\n  check "command" {}\n}\n' +
        'source "local" "s" {\n  directory = "."\n}\n' +
        'vm "v" {\n  source = source.local.s\n  disks  = ["a.vmdk"]\n  check "tcp" { port = 1 }\n}\n',
    });
    assert.deepEqual(
      r.diagnostics.map((d) => [d.range?.start.line, d.range?.start.column, d.summary]),
      [
        [2, 9, 'Unknown check kind'],
        [3, 24, 'Invalid value'],
        [4, 24, 'Invalid value'],
        [5, 3, 'Missing kind for check'],
        [8, 5, 'Unsupported block type'],
        [10, 3, 'Missing required argument'],
        [18, 3, 'Unsupported block type'],
      ],
    );
    assert.match(r.diagnostics[0].detail!, /the kinds are "http", "tcp", "unit", "command"/);
    assert.match(r.diagnostics[2].detail!, /must be an http:\/\/ URL/);
    assert.match(r.diagnostics[6].detail!, /"check" are not expected inside a vm block/);
  });

  it('the JSON form: check.KIND is an object, or a list of them', () => {
    const r = load({
      'main.h2k.hcl.json': JSON.stringify({
        policy: { p: { check: { tcp: [{ port: 22 }, { port: 80 }], http: { url: 'http://h/', expect_status: 204 } } } },
      }),
    });
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.config!.policies.p.checks, [
      { kind: 'tcp', port: 22 },
      { kind: 'tcp', port: 80 },
      { kind: 'http', url: 'http://h/', expect_status: 204 },
    ]);
  });
});

describe('luks_keys', () => {
  const files = (key: string) => ({
    'main.h2k.hcl':
      'variable "vault" {\n  sensitive = true\n}\nsource "local" "l" {\n  directory = "."\n}\n' +
      `vm "v" {\n  source    = source.local.l\n  disks     = ["a.vmdk"]\n  luks_keys = { "/dev/sda2" = ${key} }\n}\n`,
  });
  it('holds each passphrase as a secret: shown as (sensitive), out of the config hash', () => {
    const r = load(files('var.vault'), { env: { H2K_VAR_vault: 'correct horse' } });
    assert.deepEqual(r.diagnostics, []);
    const keys = r.config!.vms[0].luks_keys!;
    assert.equal(keys['/dev/sda2'].reveal(), 'correct horse');
    assert.equal(JSON.stringify(keys), '{"/dev/sda2":"(sensitive)"}');
    const other = load(files('var.vault'), { env: { H2K_VAR_vault: 'battery staple' } });
    assert.equal(configHash(r.config!), configHash(other.config!));
  });
  it('refuses a passphrase written in the file, at its line and column, without showing it', () => {
    const r = load(files('"hunter2"'), { env: { H2K_VAR_vault: 'x' } });
    assert.deepEqual(
      r.diagnostics.map((d) => [d.range?.start.line, d.range?.start.column, d.summary]),
      [[10, 15, 'Passphrase not sensitive']],
    );
    assert.ok(!JSON.stringify(r.diagnostics).includes('hunter2'));
  });
  it('names devices as the plan does', () => {
    const text = files('var.vault')['main.h2k.hcl'].replace('"/dev/sda2"', '"sda2"');
    const r = load({ 'main.h2k.hcl': text }, { env: { H2K_VAR_vault: 'x' } });
    assert.deepEqual(
      r.diagnostics.map((d) => [d.range?.start.line, d.summary]),
      [[10, 'Invalid device name']],
    );
  });
});
