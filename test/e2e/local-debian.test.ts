// End to end on the real fixture: plan (golden, normalised) → apply → boot test on virtio; the
// unfixed source must NOT boot; a re-plan says no changes; the source is never written; drift of an
// output and of the source after the conversion. The plan and the apply are the run's shared
// conversion of the fixture (shared-debian.ts), which the fleet and faults files compare with;
// its source is a copy of the fixture's disk (the last test here changes its time).
import assert from 'node:assert/strict';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Plan } from '../../src/model/plan.js';
import type { MigrationReport } from '../../src/model/report.js';
import type { ServiceCheckResult } from '../../src/model/service-check.js';
import { kubevirt } from '../../src/outputs/kubevirt/index.js';
import { fileSha256 } from '../../src/util/files.js';
import { golden, normalise } from '../golden.js';
import { H2K, h2k, inTerminal } from '../helpers.js';
import { type DebianConversion, debianConversion, debianUnfixedBoot } from './shared-debian.js';

describe('local source end to end (real fixture, real tools)', { timeout: 40 * 60_000 }, () => {
  let shared: DebianConversion;
  let source: string;
  let sourceSha: string;
  let dir: string;

  it('the unfixed source does not boot on virtio', async () => {
    const v = await debianUnfixedBoot();
    assert.equal(v.passed, false);
    assert.equal(v.failure, 'the initramfs could not find the root disk');
    assert.match(v.serial, /ALERT!\s+\/dev\/sda1 does not exist/);
  });

  it('plan: exact guest diffs and findings (golden text and JSON), exit 2 with -detailed-exitcode', async () => {
    shared = await debianConversion();
    ({ dir, source, sourceSha } = shared);
    const r = shared.plan;
    assert.equal(r.exitCode, 2, r.stderr);
    golden('local-debian.plan.txt', normalise(r.stdout, shared.disks, dir));
    golden('local-debian.plan.json', normalise(readFileSync(join(dir, 'plan.json'), 'utf8'), shared.disks, dir));
    assert.match(r.stdout, /-\/dev\/disk\/by-path\/pci-0000:03:00\.0-scsi-0:0:0:0-part1 \/ ext4/);
    assert.match(r.stdout, /\+UUID=[0-9a-f-]{36} \/ ext4/);
    assert.equal(await fileSha256(source), sourceSha, 'plan wrote to the source');
  });

  it('apply the plan file: fixed, converted, boots on virtio, valid libvirt XML', async () => {
    const r = shared.apply;
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /fix: done in [\d.]+ s \(10 change\(s\), 1 libguestfs launch\)/);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`validate: done in [\d.]+ s \(boot test passed in \d+ s \(libvirt, \w+\): default target, ` +
          String.raw`root read-write,` +
          String.raw` fstab mounted, network 10\.0\.2\.15 \(DHCP lease\); 4 service check\(s\) passed\)`,
      ),
    );
    // Without a terminal: progress lines, at most one per 10 s per stage (qemu-img's percent, the boot's
    // seconds against its timeout and the guest's last console line).
    assert.match(r.stderr, /^vm\.debian: convert: debian\.qcow2: \d+ %/m);
    const booting = r.stderr.match(/^vm\.debian: validate: booting \(libvirt\): \d+ s of ≤ 900 s; guest: .+$/gm) ?? [];
    assert.ok(booting.length >= 2, r.stderr);
    assert.ok(
      booting.length <= shared.validateSeconds / 10 + 1,
      `${booting.length} lines in ${shared.validateSeconds} s`,
    );
    const state = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8'));
    const stages = state.vms['vm.debian'].stages;
    assert.deepEqual(Object.keys(stages).sort(), ['convert', 'fix', 'flatten', 'inspect', 'plan', 'validate']);
    assert.ok(Object.values(stages).every((s) => (s as { status: string }).status === 'done'));
    const out = stages.convert.outputs[0];
    assert.equal(out.sha256, await fileSha256(join(dir, 'out', 'debian.qcow2')));
    assert.deepEqual(stages.validate.details.boot_test.checks, {
      default_target: true,
      root_read_write: true,
      fstab_mounted: true,
      network: true,
    });
    // The owner's service, from inside the guest and, for tcp and http, through the boot's network.
    const services = stages.validate.details.boot_test.services as ServiceCheckResult[];
    assert.deepEqual(
      services.map((r) => [r.check, r.passed, r.inside.passed, r.outside?.passed]),
      [
        ['http http://localhost:8080/health → 200', true, true, true],
        ['tcp 8080', true, true, true],
        ['unit inventory-web.service', true, true, undefined],
        ['command test -s /srv/inventory/health', true, true, undefined],
      ],
    );
    assert.match(services[0].inside.detail, /^HTTP\/1\.[01] 200/);
    assert.match(services[0].outside!.detail, /^HTTP 200 \(127\.0\.0\.1:\d+ → 10\.0\.2\.15:8080\)$/);
    assert.equal(services[1].inside.detail, 'listening');
    assert.equal(services[2].inside.detail, 'active');
    // The boot test's probe went into a throwaway overlay only: the output is what CONVERT wrote.
    const xml = readFileSync(join(dir, 'out', 'debian.xml'), 'utf8');
    assert.match(xml, /<mac address="00:50:56:8a:12:34"\/>/);
    assert.match(xml, /<type arch="x86_64" machine="q35">hvm<\/type>/);
    assert.doesNotMatch(xml, /firmware="efi"/);
    assert.equal(await fileSha256(source), sourceSha, 'apply wrote to the source');
  });

  it('the machine that booted is the machine shipped: the transient domain differs only where a test must', () => {
    const line = (l: string) => l.trim();
    const shipped = readFileSync(join(dir, 'out', 'debian.xml'), 'utf8')
      .split('\n')
      .map(line);
    const booted = readFileSync(join(dir, '.h2k', 'work', 'debian', 'boot-domain.xml'), 'utf8')
      .split('\n')
      .map(line);
    const onlyShipped = shipped.filter((l) => !booted.includes(l));
    assert.deepEqual(onlyShipped, [
      '<domain type="kvm">',
      '<name>debian</name>',
      ...(booted.some((l) => l.startsWith('<domain type="kvm"')) ? [] : ['<cpu mode="host-model"/>']),
      `<source file="${join(dir, 'out', 'debian.qcow2')}"/>`,
      '<interface type="network">',
      '<source network="default"/>',
      '<serial type="pty">',
    ]);
    const onlyBooted = booted.filter((l) => !shipped.includes(l));
    for (const l of onlyBooted)
      assert.ok(
        [
          /^<domain type="(kvm|qemu)" xmlns:qemu=/,
          /^<name>h2k-validate-debian-\d+<\/name>$/,
          /^<cpu mode="custom" match="exact">$|^<model fallback="forbid">qemu64<\/model>$|^<\/cpu>$/,
          /^<source file=".*\/boot-overlay\.qcow2"\/>$/,
          /^<interface type="user">$/,
          /^<serial type="file">$/,
          /^<source path=".*\/boot-serial\.log"\/>$/,
          /^<\/?seclabel|^<label>/,
          /^<\/?qemu:(commandline|arg)/,
        ].some((re) => re.test(l)),
        `the booted domain has ${l}`,
      );
    // The console as the verdict found it, kept for the report.
    const stages = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8')).vms['vm.debian'].stages;
    assert.equal(stages.validate.details.boot_test.via, 'libvirt');
    const png = readFileSync(join(dir, stages.validate.details.boot_test.screenshot));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
  });

  it("KubeVirt: D's manifest from its plan (golden)", () => {
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
    const vm = plan.vms['vm.debian'];
    const [yaml] = kubevirt.render({
      name: 'debian',
      disks: vm.outputs.disks.map((d) => join(dir, d.path)),
      format: vm.outputs.disks[0].format,
      diskBytes: vm.facts.disks.map((d) => d.virtual_bytes),
      hw: vm.facts.hardware,
    });
    golden('local-debian.kubevirt.yaml', yaml);
  });

  it('a second plan says no changes, and a second apply does nothing', async () => {
    const r = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /No changes\. 1 VM\(s\) match the configuration\./);
    // The source is unchanged since apply's INSPECT confirmed the facts: no appliance for them.
    assert.match(r.stderr, /vm\.debian: the source is unchanged since its inspection at \S+: no launch/);
    assert.doesNotMatch(r.stderr, /inspecting (the guest|\d+ guests)/);
    const before = await fileSha256(join(dir, 'out', 'debian.qcow2'));
    const a = await h2k(['apply', dir, '-auto-approve', '--no-color']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.match(a.stdout, /Nothing to do\./);
    assert.equal(await fileSha256(join(dir, 'out', 'debian.qcow2')), before);
  });

  it('a plan file is refused once the state moved on', async () => {
    const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^Error: the plan is stale: it was made against state serial 0, the state is now at serial \d+\n/m,
    );
  });

  it('drift: a modified output is reported and exactly its stage is planned again', async () => {
    const xml = join(dir, 'out', 'debian.xml');
    const produced = readFileSync(xml, 'utf8');
    writeFileSync(xml, `${produced}<!-- edited by hand -->\n`);
    const r = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        String.raw`^Drift since the last apply:\n {2}! vm\.debian validate out\/debian\.xml: modified since it was` +
          String.raw` produced \(size or sha256 differ\)$`,
        'm',
      ),
    );
    assert.match(r.stdout, /Plan: 1 VM\(s\), 1 action\(s\) \(1 validate\)/);
    writeFileSync(xml, produced);
  });

  it('service checks: a service that does not come up fails VALIDATE (exit 1), named in state and report', async () => {
    const main = join(dir, 'main.h2k.hcl');
    // A short check_timeout: checks are retried until it runs out, and these never pass.
    writeFileSync(
      main,
      readFileSync(main, 'utf8').replace(
        '  check "tcp" { port = 8080 }\n',
        '  check "tcp" { port = 8080 }\n' +
          '  check "tcp" { port = 5432 }\n  check "unit" { name = "postgresql.service" }\n  check_timeout = 10\n',
      ),
    );
    const p = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
    assert.equal(p.exitCode, 2, p.stderr);
    assert.match(p.stdout, /Plan: 1 VM\(s\), 1 action\(s\) \(1 validate\)/);
    assert.match(p.stdout, /with service checks \(≤ 10 s\): .*tcp 5432, unit postgresql\.service/);
    // What changed since the last apply, attribute by attribute (json-diff): the window, two checks, nothing else.
    assert.match(
      p.stdout,
      new RegExp(
        String.raw`  changed since the last apply:\n` +
          String.raw`    ~ policy\.check_timeout: 60 → 10\n` +
          String.raw`    \+ policy\.checks\[2\]: \{"kind":"tcp","port":5432\}\n` +
          String.raw`    \+ policy\.checks\[3\]: \{"kind":"unit","name":"postgresql\.service"\}\n  \+ validate`,
      ),
    );
    // Through a real pseudo-terminal (util-linux `script`): the live rendering, and the exit code.
    const a = await inTerminal([H2K, 'apply', dir, '-auto-approve']);
    assert.equal(a.exitCode, 1, a.output);
    assert.match(a.output, /booting \(libvirt\): \d+ s of ≤ 900 s; guest: \S/);
    assert.match(
      a.output,
      new RegExp(
        String.raw`boot test failed: service checks failed: tcp 5432 \(nothing listens\); ` +
          String.raw`unit postgresql\.service \((inactive|unknown)\)`,
      ),
    );
    const validate = JSON.parse(readFileSync(join(dir, '.h2k', 'state.json'), 'utf8')).vms['vm.debian'].stages.validate;
    assert.equal(validate.status, 'failed');
    const services = validate.details.boot_test.services as ServiceCheckResult[];
    assert.deepEqual(
      services.map((r) => [r.check, r.passed]),
      [
        ['http http://localhost:8080/health → 200', true],
        ['tcp 8080', true],
        ['tcp 5432', false],
        ['unit postgresql.service', false],
        ['unit inventory-web.service', true],
        ['command test -s /srv/inventory/health', true],
      ],
    );
    // Refused inside the guest and from outside alike.
    assert.equal(services[2].outside?.passed, false);
    assert.equal(validate.details.boot_test.checks.network, true, 'the guest itself booted');
    const r = await h2k(['report', dir, '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const vm = (JSON.parse(r.stdout) as MigrationReport).vms[0];
    assert.equal(vm.verdict, 'failed');
    assert.deepEqual(
      vm.boot?.services?.filter((s) => !s.passed).map((s) => s.check),
      ['tcp 5432', 'unit postgresql.service'],
    );
  });

  it('drift: a source changed after its conversion is planned again from its first stage', async () => {
    const st = statSync(source);
    utimesSync(source, st.atime, new Date(st.mtimeMs + 60_000));
    const r = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(
      r.stdout,
      /^Drift since the last apply:\n {2}! vm\.debian flatten: the source changed since it was converted\n\n/m,
    );
    assert.match(
      r.stdout,
      /Plan: 1 VM\(s\), 6 action\(s\) \(1 flatten, 1 inspect, 1 plan, 1 fix, 1 convert, 1 validate\)/,
    );
    assert.match(r.stderr, /vm\.debian: inspected in [\d.]+ s/, 'a changed source is inspected again');
  });
});
