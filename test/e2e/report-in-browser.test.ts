// The migration report of a real apply (the run's shared conversion of the Debian fixture), read in
// a real browser: Debian's chromium, headless, driven by playwright-core. Any request the page makes
// beyond its own file fails the test (the report must be self-contained). The DOM is read as a user
// reads it: the verdict, the timeline, the guest changes, the boot checks, and the screenshot, which
// must decode as a PNG with a real picture in it (many colours, not a blank console).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import type { MigrationReport } from '../../src/model/report.js';
import { h2k } from '../helpers.js';
import { type DebianConversion, debianConversion } from './shared-debian.js';

const CHROMIUM = '/usr/bin/chromium';

describe('the migration report in a browser (real apply, headless chromium)', { timeout: 30 * 60_000 }, () => {
  let shared: DebianConversion;
  let browser: Browser;
  let page: Page;
  const outside: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: npm run setup installs Debian's chromium`);
    shared = await debianConversion();
    // Root needs --no-sandbox; the page is our own file.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('apply wrote out/report.html and said where', () => {
    assert.match(shared.apply.stderr, /^Report: .*out\/report\.html \(1 VM\(s\)\)$/m);
    assert.ok(existsSync(join(shared.afterApply, 'out', 'report.html')));
  });

  it('the DOM says what the apply did: verdict, timeline, guest changes, boot checks, console', async () => {
    await page.goto(`file://${join(shared.afterApply, 'out', 'report.html')}`);
    assert.deepEqual(outside, [], 'the report asked for something outside itself');
    const read = await page.evaluate(() => {
      const section = document.querySelector('section.vm[data-vm="vm.debian"]')!;
      const all = (sel: string) => [...section.querySelectorAll(sel)];
      return {
        summary: document.querySelector('#summary tr[data-vm="vm.debian"]')?.getAttribute('data-verdict'),
        verdict: section.getAttribute('data-verdict'),
        heading: section.querySelector('h2')?.textContent,
        stages: all('table.timeline tr[data-stage]').map((r) => [
          r.getAttribute('data-stage'),
          r.getAttribute('data-status'),
        ]),
        edits: all('.edit').map((e) => e.getAttribute('data-path')),
        fstab: section.querySelector('.edit[data-path="/etc/fstab"] pre')?.textContent ?? '',
        checks: all('.checks li').map((li) => [li.getAttribute('data-check'), li.getAttribute('data-ok')]),
        console: section.querySelector('pre.console')?.textContent ?? '',
        kvm: section.querySelector('table.target')?.textContent ?? '',
      };
    });
    assert.equal(read.summary, 'migrated');
    assert.equal(read.verdict, 'migrated');
    assert.match(read.heading ?? '', /vm\.debian migrated, booted/);
    assert.deepEqual(read.stages, [
      ['flatten', 'done'],
      ['inspect', 'done'],
      ['plan', 'done'],
      ['fix', 'done'],
      ['convert', 'done'],
      ['validate', 'done'],
    ]);
    const plan = JSON.parse(readFileSync(join(shared.dir, 'plan.json'), 'utf8'));
    const planned = plan.vms['vm.debian'].actions.find((a: { stage: string }) => a.stage === 'fix').edits;
    assert.equal(read.edits.length, planned.length, 'every planned guest change is shown');
    assert.match(read.fstab, /-\/dev\/disk\/by-path\/pci-0000:03:00\.0-scsi-0:0:0:0-part1 \/ ext4/);
    assert.match(read.fstab, /\+UUID=[0-9a-f-]{36} \/ ext4/);
    assert.deepEqual(read.checks, [
      ['default_target', 'true'],
      ['root_read_write', 'true'],
      ['fstab_mounted', 'true'],
      ['network', 'true'],
      // The owner's service, checked in the booted guest (D's policy declares four checks).
      ['service:http http://localhost:8080/health → 200', 'true'],
      ['service:tcp 8080', 'true'],
      ['service:unit inventory-web.service', 'true'],
      ['service:command test -s /srv/inventory/health', 'true'],
    ]);
    // The console's last lines: what the guest printed when the verdict was reached (the probe's report).
    assert.match(read.console, /^H2K-PROBE root rw$/m);
    assert.doesNotMatch(read.console, /\x1b|\r/, 'escape sequences and carriage returns removed');
    assert.match(read.kvm, /00:50:56:8a:12:34/);
  });

  it('the screenshot is a PNG the browser decodes, with a picture in it', async () => {
    const shot = await page.evaluate(async () => {
      const img = document.querySelector('img.screenshot') as HTMLImageElement | null;
      if (!img) return undefined;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      let lit = 0;
      for (let i = 0; i < px.length; i += 4) {
        colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
        if (px[i] + px[i + 1] + px[i + 2] > 96) lit++;
      }
      return { mime: img.src.slice(0, 22), width: c.width, height: c.height, colours: colours.size, lit };
    });
    assert.ok(shot, 'no screenshot in the report');
    assert.equal(shot.mime, 'data:image/png;base64,');
    assert.ok(shot.width >= 640 && shot.height >= 400, `${shot.width}×${shot.height}`);
    // A text console: a background and glyphs in at least one more colour, on a real share of it.
    assert.ok(shot.colours >= 2, `${shot.colours} colour(s): a blank screen`);
    assert.ok(shot.lit > 500, `only ${shot.lit} lit pixel(s): no text on the screen`);
  });

  it('h2k report rebuilds the same report from state, audit and the kept plan; --json says the same', async () => {
    const file = join(shared.afterApply, 'out', 'report.html');
    const written = readFileSync(file, 'utf8');
    rmSync(file);
    const r = await h2k(['report', shared.afterApply]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^Wrote .*out\/report\.html \(1 VM\(s\)\)\.$/m);
    const made = (html: string) => html.replace(/Made [^ ]+ from/, 'Made <time> from');
    assert.equal(made(readFileSync(file, 'utf8')), made(written));
    const j = await h2k(['report', shared.afterApply, '--json']);
    assert.equal(j.exitCode, 0, j.stderr);
    const report = JSON.parse(j.stdout) as MigrationReport;
    assert.deepEqual(
      report.vms.map((v) => [v.address, v.verdict, v.boot?.passed, v.boot?.via]),
      [['vm.debian', 'migrated', true, 'libvirt']],
    );
    assert.equal(report.audit.problem, undefined);
  });
});
