// The migration report as one self-contained HTML file: no scripts, no network, no external assets
// (the console screenshots are embedded). PURE: the report, what it embeds and the time it was made in,
// one string out. Elements carry data- attributes (VM, verdict, stage, check) for readers that are
// not people: the browser test, a wave's dashboard.
import type { SourceFacts } from '../model/source-facts.js';
import type { HardwareFacts } from '../model/facts.js';
import type { MigrationReport, VmReport } from '../model/report.js';
import type { Paint } from './paint.js';
import { guestLines, renderEdit } from './plan-text.js';
import { fmtBytes, fmtSeconds } from './units.js';

/** What the report embeds, by VM address: PNG screenshots (base64) and the console's last lines. */
export interface ReportAssets {
  screenshots: Record<string, string>;
  consoles: Record<string, string>;
}

const esc = (s: string | number) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// The plan's own rendering of a guest change, coloured by class instead of by escape sequence: the
// paint marks its spans with private-use characters, the line is escaped, then the marks become spans.
const MARK = (cls: string) => (s: string) => `\ue000${cls}${s}\ue001`;
const htmlPaint = {
  red: MARK('r'),
  green: MARK('g'),
  yellow: MARK('y'),
  cyan: MARK('c'),
  bold: MARK('b'),
  dim: MARK('d'),
} as unknown as Paint;
const marked = (line: string) => esc(line).replace(/\ue000(\w)([^\ue001]*)\ue001/g, '<span class="$1">$2</span>');

const VERDICT_TEXT: Record<VmReport['verdict'], string> = {
  migrated: 'migrated',
  failed: 'failed',
  interrupted: 'interrupted',
  incomplete: 'incomplete',
};

function verdictText(vm: VmReport): string {
  if (vm.verdict === 'migrated') return vm.boot ? (vm.boot.passed ? 'migrated, booted' : 'migrated') : 'migrated';
  return `${VERDICT_TEXT[vm.verdict]}${vm.at ? ` in ${vm.at.toUpperCase()}` : ''}`;
}

const anchor = (address: string) => `vm-${address.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function findingCounts(vm: VmReport): string {
  const n = (sev: string) => vm.findings.filter((f) => f.severity === sev).length;
  return `${n('critical')} / ${n('warning')} / ${n('info')}`;
}

function summary(report: MigrationReport): string {
  const rows = report.vms.map(
    (vm) =>
      `<tr data-vm="${esc(vm.address)}" data-verdict="${vm.verdict}">` +
      `<td><a href="#${anchor(vm.address)}">${esc(vm.address)}</a></td>` +
      `<td class="verdict ${vm.verdict}">${esc(verdictText(vm))}</td>` +
      `<td class="num">${esc(fmtSeconds(vm.seconds))}</td>` +
      `<td class="num">${vm.bytes ? esc(fmtBytes(vm.bytes)) : '–'}</td>` +
      `<td class="num">${findingCounts(vm)}</td></tr>`,
  );
  return (
    '<table id="summary"><thead><tr><th>VM</th><th>verdict</th><th>time</th><th>converted</th>' +
    `<th>findings (critical / warning / info)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/** The source's own words for the VM's hardware, where it has them. */
function sourceRows(f: SourceFacts): [string, string][] {
  switch (f.type) {
    case 'vsphere': {
      const i = f.inventory;
      return [
        ['vSphere VM', `${i.path} (${i.power_state}, ${i.guest_id})`],
        ['CPU, memory', `${i.cpus} vCPU, ${i.memory_mib} MiB`],
        ['firmware', `${i.firmware}${i.secure_boot ? ', Secure Boot' : ''}`],
        ...i.nics.map((n): [string, string] => [n.label, `${n.adapter} ${n.mac} on ${n.network}`]),
        ...i.disks.map((d): [string, string] => [
          d.label,
          `${d.file} on ${d.controller.type} ${d.controller.bus}:${d.controller.unit}`,
        ]),
        ['snapshots', String(i.snapshots.length)],
      ];
    }
    case 'ova':
      return [
        ['package', `${f.package.toUpperCase()}, system ${f.system}${f.os_type ? `, ${f.os_type}` : ''}`],
        ...f.nics.map((n, k): [string, string] => [
          `NIC ${k}`,
          [n.adapter, n.mac, n.network].filter(Boolean).join(' '),
        ]),
      ];
    case 'esxi':
      return [
        ['ESXi VM', `${f.path}${f.powered_on ? ' (running)' : ''}`],
        ...f.nics.map((n, k): [string, string] => [
          `NIC ${k}`,
          [n.adapter, n.mac, n.network].filter(Boolean).join(' '),
        ]),
      ];
    case 'local':
      return [];
  }
}

function targetRows(h: HardwareFacts): [string, string][] {
  return [
    ['CPU, memory', `${h.cpus} vCPU, ${h.memory_mib} MiB`],
    ['firmware', `${h.firmware}${h.secure_boot ? ', Secure Boot' : ''}`],
    ...h.nics.map((n, k): [string, string] => {
      const to = Object.entries(n.attach ?? {}).map(([kind, name]) => `${kind} ${name}`);
      return [
        `NIC ${k}`,
        `${n.model} ${n.mac}${n.network ? ` (${n.network}${to.length ? ` → ${to.join(', ')}` : ''})` : ''}`,
      ];
    }),
  ];
}

function hardware(vm: VmReport): string {
  if (!vm.source || !vm.target) return '<p class="missing">The plan this VM ran under was not kept: no hardware.</p>';
  const rows = (r: [string, string][]) => r.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const disks = vm.source.disks.map((d): [string, string] => [
    d.name,
    `${fmtBytes(d.virtual_bytes)} virtual, ${fmtBytes(d.allocated_bytes)} allocated, ${d.chain.length} layer(s)`,
  ]);
  return (
    '<div class="hw">' +
    `<table class="source"><caption>source: ${esc(vm.source.address)}</caption>` +
    `${rows([...sourceRows(vm.source.facts), ...disks, ...(vm.guest ? guestLines(vm.guest) : [])])}</table>` +
    `<table class="target"><caption>KVM</caption>${rows(targetRows(vm.target))}</table></div>`
  );
}

function timeline(vm: VmReport): string {
  const total = Math.max(vm.seconds, 0.001);
  const rows = vm.stages.map(
    (s) =>
      `<tr data-stage="${s.stage}" data-status="${s.status}"><td>${s.stage.toUpperCase()}</td>` +
      `<td class="status ${s.status}">${s.status}</td><td>${esc(s.host ?? '')}</td>` +
      `<td>${esc(s.started_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td>` +
      `<td class="num">${esc(fmtSeconds(s.seconds))}</td>` +
      `<td class="bar"><div style="width:${((100 * s.seconds) / total).toFixed(1)}%"></div></td></tr>` +
      (s.error ? `<tr class="error"><td></td><td colspan="5">${esc(s.error)}</td></tr>` : ''),
  );
  return (
    '<table class="timeline"><thead><tr><th>stage</th><th>status</th><th>host</th><th>started</th>' +
    `<th>took</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

function edits(vm: VmReport): string {
  if (!vm.edits.length) return '<p class="none">No guest changes.</p>';
  return vm.edits
    .map((e) => {
      const path = e.kind === 'registry' ? e.hive : e.kind === 'run' || e.kind === 'trim' ? '' : e.path;
      const lines = renderEdit(e, htmlPaint).map(marked);
      return `<div class="edit" data-kind="${e.kind}" data-path="${esc(path)}"><pre>${lines.join('\n')}</pre></div>`;
    })
    .join('');
}

function findings(vm: VmReport): string {
  if (!vm.findings.length) return '<p class="none">No findings.</p>';
  const items = vm.findings.map(
    (f) =>
      `<li class="${f.severity}" data-code="${esc(f.code)}"><b>${f.severity}</b> [${esc(f.code)}] ${esc(f.message)}` +
      `${f.acknowledged ? ' <i>(acknowledged by policy)</i>' : ''}</li>`,
  );
  return `<ul class="findings">${items.join('')}</ul>`;
}

function boot(vm: VmReport, assets: ReportAssets): string {
  const b = vm.boot;
  if (!b) return '<p class="none">No boot test ran (the policy or the guest family said so).</p>';
  const checks = Object.entries(b.checks).map(
    ([name, ok]) =>
      `<li data-check="${esc(name)}" data-ok="${ok}">${ok ? '✔' : '✘'} ${esc(name.replace(/_/g, ' '))}</li>`,
  );
  const services = (b.services ?? []).map((r) => {
    const how = [`inside: ${r.inside.detail}`, r.outside ? `from outside: ${r.outside.detail}` : (r.unreachable ?? '')]
      .filter(Boolean)
      .join('; ');
    return (
      `<li data-check="service:${esc(r.check)}" data-ok="${r.passed}">${r.passed ? '✔' : '✘'} ${esc(r.check)}` +
      ` <span class="how">${esc(how)}</span></li>`
    );
  });
  const shot = assets.screenshots[vm.address];
  const consoleText = assets.consoles[vm.address];
  const net = b.network ? `; network ${b.network.ip} (${b.network.how})` : '';
  return (
    `<div class="boot" data-passed="${b.passed}"><p>${b.passed ? 'Booted' : 'Did not boot'} in ` +
    `${esc(fmtSeconds(b.seconds))} (${esc(b.via)}, ${esc(b.accel)})${esc(net)}.</p>` +
    `<ul class="checks">${checks.join('')}</ul>` +
    (services.length ? `<h4>Service checks</h4><ul class="checks services">${services.join('')}</ul>` : '') +
    (shot
      ? '<figure><img class="screenshot" alt="the console when the verdict was reached" ' +
        `src="data:image/png;base64,${shot}">` +
        '<figcaption>The console when the verdict was reached.</figcaption></figure>'
      : '') +
    (consoleText ? `<h4>Serial console, last lines</h4><pre class="console">${esc(consoleText)}</pre>` : '') +
    '</div>'
  );
}

function outputs(vm: VmReport): string {
  if (!vm.outputs.length) return '';
  const rows = vm.outputs.map(
    (o) =>
      `<tr><td>${esc(o.path)}</td><td class="num">${esc(fmtBytes(o.size))}</td>` +
      `<td><code>${esc(o.sha256)}</code></td></tr>`,
  );
  return `<h3>Outputs</h3><table class="outputs">${rows.join('')}</table>`;
}

function vmSection(vm: VmReport, assets: ReportAssets): string {
  return (
    `<section class="vm" id="${anchor(vm.address)}" data-vm="${esc(vm.address)}" data-verdict="${vm.verdict}">` +
    `<h2>${esc(vm.address)} <span class="verdict ${vm.verdict}">${esc(verdictText(vm))}</span></h2>` +
    `<p class="meta">${[
      vm.plan_hash ? `plan ${esc(vm.plan_hash.slice(0, 16))}` : 'plan not kept',
      vm.applied ? `applied by ${esc(vm.applied.who)}@${esc(vm.applied.host)} at ${esc(vm.applied.time)}` : '',
    ]
      .filter(Boolean)
      .join(', ')}</p>` +
    `<h3>Hardware</h3>${hardware(vm)}<h3>Timeline</h3>${timeline(vm)}` +
    `<h3>Guest changes</h3><div class="edits">${edits(vm)}</div>` +
    `<h3>Findings</h3>${findings(vm)}<h3>Boot</h3>${boot(vm, assets)}${outputs(vm)}</section>`
  );
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d2330}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-top:2px solid #d8dde6;padding-top:1em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;text-align:left;vertical-align:top}
thead th{border-bottom:1px solid #aab}tbody tr:nth-child(even){background:#f4f6f9}.num{text-align:right}
.verdict{font-weight:600;padding:.1em .5em;border-radius:.3em}.migrated{background:#d6f5dd;color:#14532d}
.failed{background:#fde0e0;color:#7f1d1d}.interrupted,.incomplete{background:#fdf3d6;color:#713f12}
.status.done{color:#14532d}.hw{display:flex;gap:2em;flex-wrap:wrap}caption{text-align:left;font-weight:600}
.bar{width:14em}.bar div{background:#5b7fc7;height:.8em;min-width:1px}.meta{color:#667;margin-top:-.8em}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12.5px}.edit pre{margin:.3em 0}
.r{color:#b42318}.g{color:#067647}.y{color:#93370d}.c{color:#155eef}.b{font-weight:600}.d{color:#667085}
.findings li.critical b{color:#b42318}.findings li.warning b{color:#93370d}.checks{list-style:none;padding:0}
.checks li[data-ok=false]{color:#b42318}.checks .how{color:#555;font-size:.9em}
.screenshot{max-width:100%;border:1px solid #aab}
.console{max-height:30em}.error td{color:#b42318}.none,.missing{color:#667}`;

/** Where the report came from: when it was made, the state serial it read, whether the audit chain verifies. */
function provenance(report: MigrationReport, now: Date): string {
  const made = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const audit = report.audit.problem
    ? `<b class="r">does not verify (${esc(report.audit.problem)})</b>`
    : 'chain intact';
  return (
    `Made ${esc(made)} from state serial ${report.serial} (lineage ${esc(report.lineage)}); ` +
    `audit journal: ${report.audit.records} record(s), ${audit}`
  );
}

export function renderReportHtml(report: MigrationReport, assets: ReportAssets, now: Date): string {
  const count = (v: VmReport['verdict']) => report.vms.filter((vm) => vm.verdict === v).length;
  const totals =
    `${report.vms.length} VM(s): ${count('migrated')} migrated, ${count('failed')} failed, ` +
    `${count('interrupted')} interrupted, ${count('incomplete')} incomplete`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>h2k migration report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>h2k migration report</h1>
<p class="meta" id="totals">${esc(totals)}. ${provenance(report, now)}.</p>
${summary(report)}
${report.vms.map((vm) => vmSection(vm, assets)).join('\n')}
</body></html>
`;
}
