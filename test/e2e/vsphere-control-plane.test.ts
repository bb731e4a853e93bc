// vSphere through the real govc against a real vcsim, control plane only (no guest launch):
// selection by name/path/uuid and discovery, diagnostics at the selector for unknown and
// ambiguous VMs, one clear line for a wrong password, an unknown datacenter and an untrusted
// certificate, thumbprint pinning, and inventory findings.
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { collectInventory } from '../../src/providers/vsphere/collect.js';
import { Govc } from '../../src/providers/vsphere/govc.js';
import { inventoryFacts, virtualMachines } from '../../src/providers/vsphere/inventory.js';
import { Sensitive } from '../../src/schema/values.js';
import { h2k, writeConfig } from '../helpers.js';
import { VC_PASSWORD, VC_USER, type Vcsim, startVcsim, vmCreate } from '../fixtures/vcsim.js';

function source(vc: Vcsim, extra = 'insecure = true'): string {
  return `variable "vc_password" {
  type      = string
  sensitive = true
}

source "vsphere" "lab" {
  url        = "${vc.url}"
  username   = "${VC_USER}"
  password   = var.vc_password
  datacenter = "DC0"
  ${extra}
}

policy "lab" {
  allow_power_off = true
}
`;
}

const env = { H2K_VAR_vc_password: VC_PASSWORD };

async function sha1Thumbprint(host: string): Promise<string> {
  const [hostname, port] = host.split(':');
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint);
      s.end();
    });
    s.on('error', reject);
  });
}

/** The message and hint only: no stack trace, no govc noise. */
function oneLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !/^source\.vsphere\.lab: reading/.test(l));
  assert.ok(lines.length <= 2, `expected an error line and a hint, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  return lines[0];
}

describe('vSphere control plane against vcsim (real govc)', { timeout: 5 * 60_000 }, () => {
  let vc: Vcsim;
  let debianUuid: string;

  before(async () => {
    vc = await startVcsim();
    await vmCreate(vc, 'debian', ['-on=false', '-g', 'debian11_64Guest', '-disk', '1GB']);
    for (const team of ['team-a', 'team-b']) {
      await vc.govc(['folder.create', `/DC0/vm/${team}`]);
      await vmCreate(vc, 'dup', ['-on=false', '-force', '-folder', `/DC0/vm/${team}`, '-disk', '1GB']);
    }
    debianUuid = (await vc.govc(['vm.info', '-json', 'debian'])).stdout.match(/"Uuid": "([0-9a-f-]{36})"/)![1];
  });
  after(async () => vc?.stop());

  it('selects by name, path and uuid, and discovers by folder, name and guestId', async () => {
    const dir = writeConfig({
      'main.h2k.hcl': `${source(vc)}
vm "by_name" {
  source = source.vsphere.lab
  name   = "debian"
}

vm "by_path" {
  source = source.vsphere.lab
  path   = "/DC0/vm/team-a/dup"
}

vm "by_uuid" {
  source = source.vsphere.lab
  uuid   = "${debianUuid.toUpperCase()}"
}

vm "fleet" {
  source   = source.vsphere.lab
  policy   = policy.lab
  discover = { name = "DC0_H0_*" }
}

vm "debians" {
  source   = source.vsphere.lab
  discover = { guest_id = "debian*" }
}

vm "none" {
  source   = source.vsphere.lab
  discover = { folder = "/DC0/vm/team-a", name = "web-*" }
}
`,
    });
    const r = await h2k(['plan', dir, '-inspect=false', '--json'], { env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`main\.h2k\.hcl:\d+:\d+: warning: Discovery matched no VM\n {2}No VM in source\.vsphere\.lab .*` +
          String.raw` matches \{"folder":"\/DC0\/vm\/team-a","name":"web-\*"\}; vm\.none plans nothing\.`,
      ),
    );
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(plan.vms).sort(), [
      'vm.by_name',
      'vm.by_path',
      'vm.by_uuid',
      'vm.debians["debian"]',
      'vm.fleet["DC0_H0_VM0"]',
      'vm.fleet["DC0_H0_VM1"]',
    ]);
    assert.equal(plan.vms['vm.by_path'].facts.source.inventory.path, '/DC0/vm/team-a/dup');
    assert.equal(plan.vms['vm.by_uuid'].facts.source.inventory.name, 'debian');
    const fleet = plan.vms['vm.fleet["DC0_H0_VM0"]'];
    assert.deepEqual(
      fleet.findings.map((f: { code: string; severity: string }) => `${f.severity}:${f.code}`),
      ['warning:guest-id-unsupported', 'warning:guest-not-inspected', 'info:source-powered-on'],
    );
    assert.equal(
      fleet.facts.hardware.nics[0].mac,
      fleet.facts.source.inventory.nics[0].mac,
      'MACs are preserved by default',
    );
    assert.deepEqual(
      fleet.actions.map((a: { stage: string }) => a.stage),
      ['fetch', 'flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'],
    );

    // -target can name one discovered instance.
    const one = await h2k(['plan', dir, '-inspect=false', '--json', '-target', 'vm.fleet["DC0_H0_VM1"]'], { env });
    assert.equal(one.exitCode, 0, one.stderr);
    assert.deepEqual(Object.keys(JSON.parse(one.stdout).vms), ['vm.fleet["DC0_H0_VM1"]']);

    // A control-plane plan cannot be applied.
    const out = `${dir}/cp.json`;
    assert.equal((await h2k(['plan', dir, '-inspect=false', '-out', out], { env })).exitCode, 0);
    const apply = await h2k(['apply', out], { env });
    assert.equal(apply.exitCode, 1);
    assert.match(oneLine(apply.stderr), /made without guest inspection/);
  });

  it('reads every VM as vm.info does, in two govc processes (the property collector, streamed)', async () => {
    await vc.govc(['snapshot.create', '-vm', 'debian', 'before-migration']);
    const source = {
      type: 'vsphere' as const,
      address: 'source.vsphere.lab',
      url: vc.url,
      username: VC_USER,
      password: new Sensitive(VC_PASSWORD),
      insecure: true,
    };
    const govc = new Govc(source);
    try {
      const before = Govc.processes;
      const { paths, inventory } = await collectInventory(govc, 'DC0', () => true);
      assert.equal(Govc.processes - before, 2);
      const listed = (await vc.govc(['find', '/', '-type', 'm'])).stdout.trim().split('\n').sort();
      assert.deepEqual(paths, listed);
      for (const facts of inventory) {
        const answer = virtualMachines(await govc.json(['vm.info', '-json', facts.path]));
        assert.deepEqual(facts, inventoryFacts(answer[0], facts.path), facts.path);
      }
      assert.ok(inventory.some((f) => f.snapshots.length === 1 && f.disks.length === 1));
    } finally {
      govc.close();
    }
  });

  it('reports unknown and ambiguous VMs at the selector in the configuration', async () => {
    const dir = writeConfig({
      'main.h2k.hcl': `${source(vc)}
vm "missing" {
  source = source.vsphere.lab
  name   = "debain"
}

vm "twice" {
  source = source.vsphere.lab
  name   = "dup"
}
`,
    });
    const r = await h2k(['plan', dir, '-inspect=false'], { env });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`main\.h2k\.hcl:20:12: error: Unknown VM\n {2}No VM with name "debain" in source\.vsphere\.lab` +
          String.raw` \(https:\/\/127\.0\.0\.1:\d+\/sdk,` +
          String.raw` datacenter DC0\)\. Did you mean "debian"\?`,
      ),
    );
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`main\.h2k\.hcl:25:12: error: Ambiguous VM\n {2}2 VMs match name "dup" .*: \/DC0\/vm\/team-a\/dup,` +
          String.raw` \/DC0\/vm\/team-b\/dup\. Select it by path or uuid instead\.`,
      ),
    );
    assert.match(r.stderr, / {2}20 \| {3}name {3}= "debain"\n/);
  });

  it('says in one line what is wrong: password, datacenter, certificate', async () => {
    const vmBlock = 'vm "d" {\n  source = source.vsphere.lab\n  name   = "debian"\n}\n';
    const wrongPw = await h2k(['plan', writeConfig({ 'main.h2k.hcl': source(vc) + vmBlock }), '-inspect=false'], {
      env: { H2K_VAR_vc_password: 'not-the-password' },
    });
    assert.equal(wrongPw.exitCode, 1);
    assert.match(
      oneLine(wrongPw.stderr),
      /^Error: source\.vsphere\.lab: login to https:\/\/127\.0\.0\.1:\d+ failed: wrong user name or password$/,
    );

    const noDc = await h2k(
      ['plan', writeConfig({ 'main.h2k.hcl': source(vc).replace('"DC0"', '"DC9"') + vmBlock }), '-inspect=false'],
      { env },
    );
    assert.equal(noDc.exitCode, 1);
    assert.match(
      oneLine(noDc.stderr),
      /^Error: source\.vsphere\.lab: datacenter "DC9" not found at https:\/\/127\.0\.0\.1:\d+$/,
    );

    const tls = await h2k(
      ['plan', writeConfig({ 'main.h2k.hcl': source(vc, 'insecure = false') + vmBlock }), '-inspect=false'],
      { env },
    );
    assert.equal(tls.exitCode, 1);
    assert.match(
      oneLine(tls.stderr),
      new RegExp(
        String.raw`^Error: source\.vsphere\.lab: TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted` +
          String.raw` \(x509: certificate signed by unknown authority\)$`,
      ),
    );

    const thumb = await sha1Thumbprint(vc.host);
    const pinned = await h2k(
      ['plan', writeConfig({ 'main.h2k.hcl': source(vc, `thumbprint = "${thumb}"`) + vmBlock }), '-inspect=false'],
      { env },
    );
    assert.equal(pinned.exitCode, 0, `a pinned thumbprint is trusted without insecure: ${pinned.stderr}`);
    const wrongThumb = thumb.replace(/^../, thumb.startsWith('AA') ? 'BB' : 'AA');
    const mismatch = await h2k(
      ['plan', writeConfig({ 'main.h2k.hcl': source(vc, `thumbprint = "${wrongThumb}"`) + vmBlock }), '-inspect=false'],
      { env },
    );
    assert.equal(mismatch.exitCode, 1);
    assert.match(oneLine(mismatch.stderr), /TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/);
  });

  it('names the endpoint when vCenter cannot be reached', async () => {
    const dead = { ...vc, url: 'https://127.0.0.1:9/sdk' } as Vcsim;
    const r = await h2k(
      [
        'plan',
        writeConfig({
          'main.h2k.hcl': `${source(dead)}vm "d" {\n  source = source.vsphere.lab\n  name   = "debian"\n}\n`,
        }),
        '-inspect=false',
      ],
      { env },
    );
    assert.equal(r.exitCode, 1);
    assert.match(
      oneLine(r.stderr),
      /^Error: source\.vsphere\.lab: cannot reach https:\/\/127\.0\.0\.1:9: connect: connection refused$/,
    );
  });
});
