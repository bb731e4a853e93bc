import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatHcl } from '../../src/schema/format.js';
import { parseFile } from '../../src/schema/parser.js';
import { SourceFile } from '../../src/schema/source-file.js';
import { REPO, exampleFiles, h2k, writeConfig } from '../helpers.js';

const MESSY = `# leading comment
policy   "p"    {   # trailing comment
      trim = true
  output_format      = "raw"


  boot_timeout=300 // why 300
  initramfs_drivers = [
          "virtio_blk",
     "virtio_net",
  ]
  /* a block
        comment keeps its shape */
}
vm "a" {
  source = source.local.x
  disks = [<<EOT
   keep   me
EOT
  ]
}
`;

const CANONICAL = `# leading comment
policy "p" { # trailing comment
  trim          = true
  output_format = "raw"

  boot_timeout      = 300 // why 300
  initramfs_drivers = [
    "virtio_blk",
    "virtio_net",
  ]
  /* a block
        comment keeps its shape */
}
vm "a" {
  source = source.local.x
  disks  = [<<EOT
   keep   me
EOT
  ]
}
`;

describe('fmt', () => {
  it('produces the canonical layout and keeps comments and heredocs', () => {
    assert.equal(formatHcl('t.h2k.hcl', MESSY), CANONICAL);
  });

  it('is idempotent on every example, and examples are already formatted', () => {
    const files = exampleFiles();
    assert.ok(files.length >= 4);
    for (const f of files) {
      const text = readFileSync(join(REPO, f), 'utf8');
      const once = formatHcl(f, text);
      assert.equal(formatHcl(f, once), once, f);
      assert.equal(once, text, `${f} is not formatted`);
    }
  });

  it('never changes meaning: the formatted file parses to the same values', () => {
    const strip = (t: string) =>
      JSON.stringify(parseFile(new SourceFile('x', t)), (k, v) => (k === 'span' || k.endsWith('Span') ? undefined : v));
    assert.equal(strip(formatHcl('t', MESSY)), strip(MESSY));
  });

  it('indents and aligns around directives, splats, strip markers and Unicode names, keeping meaning', () => {
    const messy =
      'locals {\n  names   = [for v in   var.vms : v.name]\n  ñandú = "x"\n' +
      '  s = "%{ for n in local.names ~}${n},%{ endfor ~}"\n  splat =   var.vms[*].name\n' +
      '  t = <<-EOT\n      a ${~ "x" ~} b\n    EOT\n}\n';
    const once = formatHcl('t', messy);
    assert.equal(
      once,
      'locals {\n  names = [for v in   var.vms : v.name]\n  ñandú = "x"\n' +
        '  s     = "%{ for n in local.names ~}${n},%{ endfor ~}"\n  splat = var.vms[*].name\n' +
        '  t     = <<-EOT\n      a ${~ "x" ~} b\n    EOT\n}\n',
    );
    assert.equal(formatHcl('t', once), once);
    const strip = (t: string) =>
      JSON.stringify(parseFile(new SourceFile('x', t)), (k, v) => (k === 'span' || k.endsWith('Span') ? undefined : v));
    assert.equal(strip(once), strip(messy));
  });

  it('--check lists unformatted files and exits 3 without writing; plain fmt rewrites', async () => {
    const dir = writeConfig({ 'a.h2k.hcl': MESSY, 'b.h2k.hcl': CANONICAL });
    const check = await h2k(['fmt', dir, '--check']);
    assert.equal(check.exitCode, 3);
    assert.equal(check.stdout, `${dir}/a.h2k.hcl\n`);
    assert.equal(readFileSync(join(dir, 'a.h2k.hcl'), 'utf8'), MESSY);
    const diff = await h2k(['fmt', dir, '--check', '--diff']);
    assert.match(diff.stdout, /^-policy {3}"p" {4}\{ {3}# trailing comment$/m);
    assert.match(diff.stdout, /^\+policy "p" \{ # trailing comment$/m);
    const fix = await h2k(['fmt', dir]);
    assert.equal(fix.exitCode, 0);
    assert.equal(readFileSync(join(dir, 'a.h2k.hcl'), 'utf8'), CANONICAL);
    assert.equal((await h2k(['fmt', dir, '--check'])).exitCode, 0);
  });

  it('leaves a file with a syntax error untouched and reports it', async () => {
    const dir = writeConfig({ 'bad.h2k.hcl': 'policy "p" {\n  trim =\n}\n' });
    const r = await h2k(['fmt', dir]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /bad\.h2k\.hcl:2:9: error: Invalid expression/);
    assert.equal(readFileSync(join(dir, 'bad.h2k.hcl'), 'utf8'), 'policy "p" {\n  trim =\n}\n');
    writeFileSync(join(dir, 'bad.h2k.hcl'), 'policy "p" {\n}\n');
  });
});
