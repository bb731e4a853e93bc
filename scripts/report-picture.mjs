// The README's picture of a migration report: the top of a report.html as headless chromium shows it.
//   node scripts/report-picture.mjs examples/output/platform/report.html docs/report.png
// (after `npm run demo`, which applies examples/ and writes that report).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [html, png] = process.argv.slice(2);
if (!html || !png || !existsSync(html)) {
  console.error('usage: node scripts/report-picture.mjs REPORT.html OUT.png (REPORT.html must exist)');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1500 } });
  await page.goto(`file://${resolve(html)}`);
  await page.screenshot({ path: png });
} finally {
  await browser.close();
}
