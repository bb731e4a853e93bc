// Windows guests end to end on phony fixtures (test/fixtures/windows-guests.ts): a 2019-like BIOS
// guest with a static address on vmxnet3 and VMware Tools (virtio-win as a directory), a 2008 R2-like
// one without DriverDatabase, a 2022-like UEFI one (virtio-win as an ISO). They cannot boot (no
// Windows code in them), so after apply the converted disks are read back: every registry value
// with hivex (hivexregedit, not h2k's own reader), every driver file, script and loader by content.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { GuestEdit, Plan } from '../../src/model/plan.js';
import { GuestfishSession } from '../../src/tools/guestfish.js';
import { fileSha256 } from '../../src/util/files.js';
import { type WindowsFixture, windowsFixture } from '../fixtures/windows-guests.js';
import { golden, normalise } from '../golden.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';

const NAMES = ['win2019', 'win2008r2', 'win2022'] as const;
type Name = (typeof NAMES)[number];

function config(f: WindowsFixture): Record<string, string> {
  const vm = (name: Name, policy: string, mac: string) => `
vm "${name}" {
  source = source.local.win
  disks  = ["${name}.vmdk"]
  policy = policy.${policy}
  nics   = [{ mac = "${mac}", network = "default" }]
}
`;
  return {
    'main.h2k.hcl':
      `source "local" "win" {
  directory = "${f.dir}"
}

policy "dir" {
  output_dir = "./out"
  virtio_win = "${f.virtioWinDir}"
}

policy "iso" {
  output_dir = "./out"
  virtio_win = "${f.virtioWinIso}"
}
${vm('win2019', 'dir', '00:50:56:8a:20:19')}${vm('win2008r2', 'dir', '00:50:56:8a:20:08')}` +
      vm('win2022', 'iso', '00:50:56:8a:20:22'),
  };
}

/** A .reg value as (type, bytes), from h2k's merge text or hivexregedit's export alike. */
function regValue(text: string): { type: number; hex: string } {
  const hex = (s: string) => s.replace(/[\s,\\]/g, '').toLowerCase();
  let m = /^dword:([0-9a-f]{8})$/i.exec(text);
  if (m) return { type: 4, hex: Buffer.from(m[1], 'hex').reverse().toString('hex') };
  m = /^hex(?:\(([0-9a-f]+)\))?:(.*)$/is.exec(text);
  if (m) return { type: m[1] ? parseInt(m[1], 16) : 3, hex: hex(m[2]) };
  m = /^"(.*)"$/s.exec(text);
  if (m) return { type: 1, hex: Buffer.from(`${m[1].replace(/\\(.)/g, '$1')}\0`, 'utf16le').toString('hex') };
  throw new Error(`not a .reg value: ${text}`);
}

/** The sections of a .reg text: key path → value name → value (continuation lines joined). */
function regSections(text: string): Map<string, Map<string, { type: number; hex: string }>> {
  const out = new Map<string, Map<string, { type: number; hex: string }>>();
  let current: Map<string, { type: number; hex: string }> | undefined;
  for (const line of text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/)) {
    const head = /^\[(.*)\]$/.exec(line);
    if (head) out.set(head[1].toLowerCase(), (current = new Map()));
    const v = /^(@|"((?:[^"\\]|\\.)*)")=(.*)$/.exec(line);
    if (v && current) current.set(v[1] === '@' ? '' : v[2].replace(/\\(.)/g, '$1'), regValue(v[3]));
  }
  return out;
}

describe('Windows guests end to end (phony fixtures, real tools)', { timeout: 30 * 60_000 }, () => {
  let f: WindowsFixture;
  let dir: string;
  let sources: Record<Name, string>;
  let plan: Plan;

  before(async () => {
    f = await windowsFixture();
    dir = writeConfig(config(f));
    sources = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await fileSha256(f.disks[n])])));
  });

  it('plan: the registry diffs, files and findings of all three (golden), exit 2 with -detailed-exitcode', async () => {
    const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '-detailed-exitcode', '--no-color']);
    assert.equal(r.exitCode, 2, r.stderr);
    golden('windows.plan.txt', normalise(r.stdout, f.dir, dir));
    // Two launches for three guests (-parallelism 2), two sharing one; the golden above was made with
    // a launch each.
    assert.equal(r.stderr.match(/: inspected in [\d.]+ s; one launch for 2 VMs/g)?.length, 2, r.stderr);
    plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    const guest = (n: Name) => plan.vms[`vm.${n}`].facts.guest!;
    assert.deepEqual(
      NAMES.map((n) => [guest(n).family, guest(n).firmware]),
      [
        ['windows', 'bios'],
        ['windows', 'bios'],
        ['windows', 'uefi'],
      ],
    );
    assert.match(r.stdout, /CriticalDeviceDatabase\\pci#ven_1af4&dev_1001/, '2008 R2: CriticalDeviceDatabase');
    assert.match(r.stdout, /DriverDatabase\\DriverInfFiles\\oem2\.inf/, '2019: the first free oemN.inf');
    assert.match(r.stdout, /\+ \/ESP\/EFI\/BOOT\/BOOTX64\.EFI <- \/ESP\/EFI\/Microsoft\/Boot\/bootmgfw\.efi/);
    assert.match(r.stdout, /warning \[windows-device-install-restricted\] .*DenyUnspecified/);
    assert.match(r.stdout, /warning \[windows-antivirus\] Trend Micro Deep Security Agent/);
    assert.match(r.stdout, /warning \[boot-test-unavailable\] Windows cannot be booted on this host/);
    assert.match(r.stdout, /EnableStatic\(@\('10\.20\.30\.40'\), @\('255\.255\.255\.0'\)\)/);
    for (const n of NAMES) assert.equal(await fileSha256(f.disks[n]), sources[n]);
  });

  it('apply: every planned registry value, driver file, script and loader is in the converted disks', async (t) => {
    const r = await h2k(['apply', join(dir, 'plan.json'), '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stderr,
      /vm\.win2019: validate: done in [\d.]+ s \(qemu-img check clean; no boot test: Windows cannot/,
    );
    const g = await GuestfishSession.launch(
      NAMES.map((n) => ({ path: join(dir, 'out', `${n}.qcow2`), format: 'qcow2' })),
      { readonly: true },
    );
    const scratch = tempDir();
    let values = 0;
    let files = 0;
    try {
      for (const n of NAMES) await g.run('mkmountpoint', `/${n}`);
      await g.run('mkmountpoint', '/win2022-esp');
      await g.run('mount-ro', '/dev/sda2', '/win2019');
      await g.run('mount-ro', '/dev/sdb2', '/win2008r2');
      await g.run('mount-ro', '/dev/sdc3', '/win2022');
      await g.run('mount-ro', '/dev/sdc1', '/win2022-esp');
      for (const n of NAMES) {
        const at = (p: string) => p.replace(/^\/C\//, `/${n}/`).replace(/^\/ESP\//, `/${n}-esp/`);
        const edits = plan.vms[`vm.${n}`].actions.find((a) => a.stage === 'fix')!.edits as GuestEdit[];
        for (const e of edits) {
          if (e.kind === 'upload' || e.kind === 'copy') {
            assert.equal((await g.run('checksum', 'sha256', at(e.path))).trim(), e.sha256, `${n} ${e.path}`);
            files++;
          } else if (e.kind === 'write') {
            assert.equal((await g.readFile(at(e.path))) ?? '', e.after, `${n} ${e.path}`);
            files++;
          } else if (e.kind === 'registry') {
            const hive = join(scratch, `${n}-${e.hive.split('/').pop()}`);
            await g.run('download', at(e.hive), hive);
            for (const [path, want] of regSections(e.merge)) {
              const key = path.slice(e.prefix.length);
              const exported: string = execFileSync(
                'hivexregedit',
                ['--export', '--prefix', e.prefix, hive, key || '\\'],
                {
                  encoding: 'utf8',
                },
              );
              const got = regSections(exported).get(path);
              assert.ok(got, `${n}: ${path} missing`);
              for (const [name, v] of want) {
                assert.deepEqual(got!.get(name), v, `${n}: ${path} "${name}"`);
                values++;
              }
            }
          }
        }
      }
      const esp = (p: string) => g.run('checksum', 'sha256', `/win2022-esp/EFI/${p}`);
      assert.equal(await esp('BOOT/BOOTX64.EFI'), await esp('Microsoft/Boot/bootmgfw.efi'));
      const legacy = join(scratch, 'win2008r2-SYSTEM');
      assert.throws(() => execFileSync('hivexregedit', ['--export', legacy, '\\DriverDatabase'], { stdio: 'pipe' }));
      assert.match(
        execFileSync('hivexregedit', ['--export', legacy, '\\ControlSet001\\Services\\viostor'], { encoding: 'utf8' }),
        /"Start"=dword:00000000/,
      );
    } finally {
      await g.close();
    }
    assert.ok(values >= 90, `${values} registry values checked`);
    assert.ok(files >= 60, `${files} files checked`);
    t.diagnostic(`read back: ${values} registry values with hivexregedit, ${files} files by content`);
    const xml = (n: Name) => readFileSync(join(dir, 'out', `${n}.xml`), 'utf8');
    assert.match(xml('win2022'), /<os firmware="efi">/);
    assert.doesNotMatch(xml('win2019'), /firmware="efi"/);
    for (const n of NAMES) {
      assert.match(xml(n), /<clock offset="localtime">/);
      assert.match(xml(n), /<hyperv>/);
      assert.match(xml(n), /<target dev="vda" bus="virtio"\/>/);
      assert.equal(await fileSha256(f.disks[n]), sources[n], `apply wrote to the ${n} source`);
    }
  });

  it('a second plan says no changes, from the facts of the first (no launch)', async () => {
    const r = await h2k(['plan', dir, '-detailed-exitcode', '--no-color']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /No changes\. 3 VM\(s\) match the configuration\./);
    for (const n of NAMES)
      assert.match(r.stderr, new RegExp(`vm\\.${n}: the source is unchanged since its inspection`));
    assert.doesNotMatch(r.stderr, /inspecting (the guest|\d+ guests)/);
  });
});
