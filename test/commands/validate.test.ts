import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { H2K, h2k, writeConfig } from '../helpers.js';

describe('h2k validate (real CLI)', () => {
  it('exits 0 on every example and says so', async () => {
    const r = await h2k(['validate', 'examples']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'Success! The configuration is valid (3 files, 1 VM).\n');
    const lab = await h2k(['validate', 'examples/vsphere-lab']);
    assert.equal(lab.exitCode, 0, lab.stderr);
    assert.equal(lab.stdout, 'Success! The configuration is valid (1 file, 4 VMs).\n');
  });

  it('--json has Terraform validate shape with ranges', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': 'policy "p" {\n  trim = "maybe"\n}\n' });
    const r = await h2k(['validate', dir, '--json']);
    assert.equal(r.exitCode, 1);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j), ['format_version', 'valid', 'error_count', 'warning_count', 'diagnostics']);
    assert.equal(j.format_version, '1.0');
    assert.equal(j.valid, false);
    assert.equal(j.error_count, 1);
    assert.deepEqual(j.diagnostics[0], {
      severity: 'error',
      summary: 'Incorrect attribute value type',
      detail: 'Inappropriate value for attribute "trim": bool required, got string.',
      range: {
        filename: `${dir}/main.h2k.hcl`,
        start: { line: 2, column: 10, byte: 22 },
        end: { line: 2, column: 17, byte: 29 },
      },
    });
  });

  it('text output is file:line:col, detail, and the source line; no stack trace', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': 'policy "p" {\n  trim = "maybe"\n}\n' });
    const r = await h2k(['validate', dir]);
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.stderr,
      `${dir}/main.h2k.hcl:2:10: error: Incorrect attribute value type\n  Inappropriate value for attribute ` +
        `"trim": bool required, got string.\n  2 |   trim = "maybe"\n    |          ^^^^^^^\n\n1 error, 0 warnings.\n`,
    );
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
  });

  it('Terraform-style single-dash flags and -var ordering work', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': 'variable "n" {\n  type = number\n}\n' });
    assert.equal((await h2k(['validate', dir, '-var', 'n=1'])).exitCode, 0);
    assert.equal((await h2k(['validate', dir, '-var=n=1', '-json'])).exitCode, 0);
    const bad = await h2k(['validate', dir, '-var', 'm=1']);
    assert.equal(bad.exitCode, 1);
    assert.match(bad.stderr, /error: Value for undeclared variable/);
  });

  it('a missing directory and an unknown flag are one clear line each, exit 1', async () => {
    const r = await h2k(['validate', '/nonexistent/dir']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /error: Configuration directory not found\n {2}\/nonexistent\/dir is not a directory\./);
    const f = await h2k(['validate', '--frobnicate']);
    assert.equal(f.exitCode, 1);
    assert.match(
      f.stderr,
      /^Error: Nonexistent flag: --frobnicate\n {2}hint: run `h2k validate --help` for usage\.\n$/,
    );
  });

  it('sensitive values never appear in output', async () => {
    const dir = writeConfig({
      'main.h2k.hcl': 'variable "pw" {\n  sensitive = true\n}\npolicy "p" {\n  output_format = var.pw\n}\n',
    });
    const r = await h2k(['validate', dir, '-var', 'pw=hunter2', '--json']);
    assert.equal(r.exitCode, 1);
    assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
    assert.match(r.stdout, /got \(sensitive\)/);
  });
});

describe('help teaches', () => {
  const commands = [
    'validate',
    'fmt',
    'schema',
    'doctor',
    'plan',
    'apply',
    'show',
    'graph',
    'force-unlock',
    'state list',
    'state show',
    'state rm',
    'audit verify',
    'audit log',
  ];
  for (const cmd of commands) {
    it(`h2k ${cmd} --help has a description and an example`, async () => {
      const r = await h2k([...cmd.split(' '), '--help']);
      assert.equal(r.exitCode, 0);
      assert.match(r.stdout, /DESCRIPTION/);
      assert.match(r.stdout, /EXAMPLES\n\s+\S.*\n\n?\s+\$ h2k /);
    });
  }
  it('h2k --help lists the commands', async () => {
    const r = await h2k(['--help']);
    assert.match(r.stdout, /validate\s+Check a configuration/);
    assert.ok(H2K.endsWith('bin/h2k'));
  });
});

describe('h2k schema', () => {
  it('prints the JSON Schema validate uses', async () => {
    const r = await h2k(['schema']);
    const s = JSON.parse(r.stdout);
    assert.equal(s.$id, 'https://h2k.dev/schema/config.json');
    assert.deepEqual(Object.keys(s.definitions).sort(), [
      'backend_pg',
      'check_command',
      'check_http',
      'check_tcp',
      'check_unit',
      'nic_attachment',
      'policy',
      'policy_overrides',
      'source_esxi',
      'source_local',
      'source_ova',
      'source_vsphere',
      'variable',
      'vm',
    ]);
  });
});

describe('-target', () => {
  it('selects VMs by address (all instances of a for_each vm), and names unknown ones', async () => {
    const dir = writeConfig({
      'main.h2k.hcl':
        'source "local" "s" {\n  directory = "."\n}\nsource "vsphere" "v" {\n  url = "https://vc/sdk"\n}\nvm ' +
        '"local" {\n  source = source.local.s\n  disks  = ["missing.vmdk"]\n}\nvm "lab" {\n  for_each = ["a", ' +
        '"b"]\n  source   = source.vsphere.v\n  name     = each.key\n}\n',
    });
    const local = await h2k(['plan', dir, '-target', 'vm.local']);
    assert.equal(local.exitCode, 1);
    assert.match(local.stderr, /^Error: vm\.local: disk file .*missing\.vmdk does not exist$/m);
    assert.doesNotMatch(local.stderr, /vm\.lab/);
    const lab = await h2k(['plan', dir, '-target', 'vm.lab']);
    assert.equal(lab.exitCode, 1);
    assert.match(
      lab.stderr,
      /^Error: source\.vsphere\.v: cannot reach https:\/\/vc: /m,
      'the vSphere VMs are planned (and the endpoint does not exist)',
    );
    assert.doesNotMatch(lab.stderr, /vm\.local/);
    const none = await h2k(['plan', dir, '-target', 'vm.nope']);
    assert.equal(none.exitCode, 1);
    assert.match(
      none.stderr,
      new RegExp(
        String.raw`^Error: -target vm\.nope matches no vm in the configuration\n {2}hint: addresses look like` +
          String.raw` vm\.NAME` +
          String.raw` or vm\.NAME\["key"\]; known: vm\.lab\["a"\], vm\.lab\["b"\], vm\.local\n$`,
      ),
    );
  });
});

describe('h2k doctor (real tools)', () => {
  it('checks what vSphere sources need, with versions and paths, without launching', async () => {
    const r = await h2k(['doctor', '--no-launch', '--json']);
    assert.equal(r.exitCode, 0, r.stdout);
    const report = JSON.parse(r.stdout) as { healthy: boolean; checks: { name: string; ok: boolean; path?: string }[] };
    const byName = new Map(report.checks.map((c) => [c.name, c]));
    for (const name of ['govc', 'nbdkit', 'nbdfuse', 'fusermount3', '/dev/fuse'])
      assert.equal(byName.get(name)?.ok, true, `${name}: ${JSON.stringify(byName.get(name))}`);
    assert.equal(report.healthy, true);
    assert.equal('libguestfs' in report, false, 'no appliance launch with --no-launch');
  });
});
