// The migration report's assembly (state records + the kept plans + audit) and its HTML, on the
// Debian fixture's real plan (test/golden/local-debian.plan.json) and stage records shaped as an
// apply writes them. The browser reads a real apply's report in test/e2e/report-in-browser.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Plan, Stage } from '../../src/model/plan.js';
import type { AuditRecord, StageResult, VmState } from '../../src/model/state.js';
import { consoleTail, vmReport } from '../../src/operations/report.js';
import { renderReportHtml } from '../../src/render/report-html.js';
import { REPO } from '../helpers.js';

// The golden's placeholders for run-specific numbers (<n>) made numbers again; strings stay as they are.
const golden = readFileSync(join(REPO, 'test/golden/local-debian.plan.json'), 'utf8').replace(/: <n>/g, ': 1');
const plan = JSON.parse(golden) as Plan;
const HASH = 'a'.repeat(64);
const plans = new Map([[HASH, plan]]);

function record(stage: Stage, startSec: number, seconds: number, extra: Partial<StageResult> = {}): StageResult {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, s)).toISOString();
  return {
    status: 'done',
    input_hash: `${stage}-hash`,
    plan_hash: HASH,
    outputs: [],
    started_at: at(startSec),
    finished_at: at(startSec + seconds),
    host: 'conv-1',
    ...extra,
  };
}

const BOOT = {
  passed: true,
  seconds: 61.5,
  via: 'libvirt',
  accel: 'tcg',
  checks: { default_target: true, root_read_write: true, fstab_mounted: true, network: true },
  network: { ip: '10.0.2.15', how: 'DHCP lease' },
  screenshot: '.h2k/work/debian/boot-screen.png',
  serial_log: '.h2k/work/debian/boot-serial.log',
};

function migrated(): VmState {
  return {
    stages: {
      flatten: record('flatten', 0, 2),
      inspect: record('inspect', 2, 30),
      plan: record('plan', 32, 1),
      fix: record('fix', 33, 90),
      convert: record('convert', 123, 20, {
        outputs: [{ path: 'out/debian.qcow2', size: 900 * 2 ** 20, sha256: 'b'.repeat(64) }],
      }),
      validate: record('validate', 143, 70, {
        outputs: [{ path: 'out/debian.xml', size: 4000, sha256: 'c'.repeat(64) }],
        details: { boot_test: BOOT },
      }),
    },
  };
}

const started: AuditRecord = {
  seq: 3,
  time: '2026-12-03T10:00:00.000Z',
  who: 'ops',
  host: 'conv-1',
  event: 'apply-started',
  plan_hash: HASH,
  prev_sha256: '0',
};

describe('migration report', () => {
  it('a migrated VM: verdict, timeline, bytes, hardware and guest changes from the plan that ran FIX', () => {
    const r = vmReport('vm.debian', migrated(), plans, [started]);
    assert.equal(r.verdict, 'migrated');
    assert.deepEqual(
      r.stages.map((s) => [s.stage, s.seconds, s.host]),
      [
        ['flatten', 2, 'conv-1'],
        ['inspect', 30, 'conv-1'],
        ['plan', 1, 'conv-1'],
        ['fix', 90, 'conv-1'],
        ['convert', 20, 'conv-1'],
        ['validate', 70, 'conv-1'],
      ],
    );
    assert.equal(r.seconds, 213);
    assert.equal(r.bytes, 900 * 2 ** 20);
    assert.equal(r.output_dir, 'out');
    assert.equal(r.target?.nics[0].mac, plan.vms['vm.debian'].facts.hardware.nics[0].mac);
    assert.deepEqual(
      r.edits.map((e) => e.kind === 'write' && e.path).filter(Boolean),
      plan.vms['vm.debian'].actions
        .find((a) => a.stage === 'fix')!
        .edits!.map((e) => e.kind === 'write' && e.path)
        .filter(Boolean),
    );
    assert.ok(r.edits.some((e) => e.kind === 'write' && e.path === '/etc/fstab'));
    assert.deepEqual(r.applied, { who: 'ops', host: 'conv-1', time: started.time });
  });

  it('a failed VM names its stage and keeps the error; one interrupted says so; a plan not kept is said', () => {
    const vm = migrated();
    vm.stages.convert = record('convert', 123, 5, { status: 'failed', error: 'out: no space left on device' });
    delete vm.stages.validate;
    const failed = vmReport('vm.debian', vm, plans, []);
    assert.equal(failed.verdict, 'failed');
    assert.equal(failed.at, 'convert');
    assert.equal(failed.stages.at(-1)?.error, 'out: no space left on device');
    vm.stages.convert = record('convert', 123, 5, { status: 'interrupted', error: 'interrupted by SIGTERM' });
    assert.equal(vmReport('vm.debian', vm, plans, []).verdict, 'interrupted');
    delete vm.stages.convert;
    const partial = vmReport('vm.debian', vm, plans, []);
    assert.deepEqual([partial.verdict, partial.at], ['incomplete', 'fix']);
    const unkept = vmReport('vm.debian', migrated(), new Map(), []);
    assert.equal(unkept.plan_hash, undefined);
    assert.deepEqual([unkept.edits, unkept.findings, unkept.source], [[], [], undefined]);
    assert.equal(unkept.output_dir, 'out', 'from the converted disk when the plan is gone');
  });

  it('the HTML: self-contained, escaped, one section per VM with the data a reader checks', () => {
    const vm = vmReport('vm.debian', migrated(), plans, [started]);
    const bad = vmReport(
      'vm.web["<b>"]',
      { stages: { fetch: record('fetch', 0, 3, { status: 'failed', error: 'a <tag> & more' }) } },
      plans,
      [],
    );
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC';
    const html = renderReportHtml(
      { lineage: 'l-1', serial: 7, audit: { records: 12 }, vms: [vm, bad] },
      {
        screenshots: { 'vm.debian': png },
        consoles: { 'vm.debian': 'Debian GNU/Linux 12 debian ttyS0\n\ndebian login: <x>' },
      },
      new Date(Date.UTC(2026, 11, 3, 12, 0, 0)),
    );
    assert.doesNotMatch(html, /<script|<link|https?:\/\/|src="(?!data:)/, 'no script, no external asset');
    assert.match(html, /<tr data-vm="vm.debian" data-verdict="migrated">/);
    assert.match(
      html,
      /<section class="vm" id="vm-vm-web---b---" data-vm="vm.web\[&quot;&lt;b&gt;&quot;\]" data-verdict="failed">/,
    );
    assert.match(html, /failed in FETCH/);
    assert.match(html, /a &lt;tag&gt; &amp; more/);
    assert.match(html, /2 VM\(s\): 1 migrated, 1 failed, 0 interrupted, 0 incomplete/);
    assert.match(html, /audit journal: 12 record\(s\), chain intact/);
    assert.match(html, /<tr data-stage="fix" data-status="done"><td>FIX<\/td>/);
    assert.match(html, /<div class="edit" data-kind="write" data-path="\/etc\/fstab"><pre>/);
    assert.match(html, /<span class="g">\+UUID=/, 'diff lines coloured by class, as the plan text colours them');
    assert.match(html, /<li data-check="root_read_write" data-ok="true">/);
    assert.match(html, /<img class="screenshot" [^>]*src="data:image\/png;base64,iVBORw0KGgo/);
    assert.match(html, /debian login: &lt;x&gt;/);
    assert.match(html, /applied by ops@conv-1/);
    assert.match(html, /<tr><th>guest<\/th><td>debian [^<]*, root \/dev\/sda1<\/td><\/tr>/, 'what inspection found');
  });

  it("a btrfs root's scrub and the subvolumes FIX mounts are in the report, as in the plan", () => {
    const vm = vmReport('vm.debian', migrated(), plans, [started]);
    const guest = {
      ...vm.guest!,
      btrfs_scrub: { result: 'clean', summary: 'no errors found; 1.65GiB read' },
      mounts: [{ mountpoint: '/var', device: '/dev/sda2', options: 'subvol=/@/var' }],
    } as typeof vm.guest;
    const html = renderReportHtml(
      { lineage: 'l-1', serial: 1, audit: { records: 1 }, vms: [{ ...vm, guest }] },
      { screenshots: {}, consoles: {} },
      new Date(Date.UTC(2026, 11, 3, 12, 0, 0)),
    );
    const row =
      '<tr><th>btrfs</th><td>read-only scrub clean (no errors found; 1.65GiB read); FIX mounts the subvolumes /var';
    assert.ok(html.includes(`${row} as fstab does</td></tr>`), 'the btrfs row');
  });

  it("the console's last lines as a person reads them", () => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\r\n');
    const raw = `${lines}\r\n\x1b[0;32m  OK  \x1b[0m] Started\r\nprogress 10%\rprogress 100%\n`;
    const tail = consoleTail(raw).split('\n');
    assert.equal(tail.length, 40);
    assert.equal(tail.at(-2), '  OK  ] Started');
    assert.equal(tail.at(-1), 'progress 100%');
  });
});
