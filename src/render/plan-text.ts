// The plan for humans: what happens to each VM, the exact guest-file diffs, and the findings.
// PURE; colour comes from the Paint passed in (none in CI logs).
import { describeIntent } from '../model/guest-network.js';
import type { NicFacts } from '../model/facts.js';
import type { Paint } from './paint.js';
import { fmtBytes, fmtSize } from './units.js';
import { unifiedDiff } from '../util/unified-diff.js';
import {
  type Action,
  type AttributeChange,
  type GuestEdit,
  type Plan,
  type PlannedGuest,
  type VmPlan,
  describeChange,
  describeDrift,
} from '../model/plan.js';

/** One guest change as the plan shows it: a head line, and for file and registry edits the diff. */
export function renderEdit(e: GuestEdit, p: Paint): string[] {
  switch (e.kind) {
    case 'write': {
      const diff = unifiedDiff(e.before, e.after, e.create ? '/dev/null' : `a${e.path}`, `b${e.path}`)
        .trimEnd()
        .split('\n');
      return [
        `${e.create ? p.green('+') : p.yellow('~')} ${p.bold(e.path)}  ${p.dim(`# ${e.reason}`)}`,
        ...diff.map((l) => `    ${colourDiffLine(l, p)}`),
      ];
    }
    case 'delete':
      return [`${p.red('-')} ${p.bold(e.path)}  ${p.dim(`# ${e.reason}`)}`];
    case 'symlink':
      return [`${p.green('+')} ${p.bold(e.path)} -> ${e.target}  ${p.dim(`# ${e.reason}`)}`];
    case 'copy':
      return [
        `${p.green('+')} ${p.bold(e.path)} <- ${e.from} (sha256 ${e.sha256.slice(0, 12)}…)  ${p.dim(`# ${e.reason}`)}`,
      ];
    case 'upload':
      return [
        `${p.green('+')} ${p.bold(e.path)} <- virtio_win:${e.from} ` +
          `(${fmtSize(e.bytes)}, sha256 ${e.sha256.slice(0, 12)}…)  ${p.dim(`# ${e.reason}`)}`,
      ];
    case 'registry': {
      const diff = unifiedDiff(e.before, e.after, `a${e.hive}`, `b${e.hive}`).trimEnd().split('\n');
      return [
        `${p.yellow('~')} ${p.bold(e.hive)} (registry ${e.prefix})  ${p.dim(`# ${e.reason}`)}`,
        ...diff.map((l) => `    ${colourDiffLine(l, p)}`),
      ];
    }
    case 'run':
      return [`${p.cyan('!')} run ${p.bold(e.command.join(' '))}  ${p.dim(`# ${e.reason}`)}`];
    case 'trim':
      return [`${p.cyan('!')} ${p.bold('fstrim')} every mounted filesystem  ${p.dim(`# ${e.reason}`)}`];
  }
}

function colourDiffLine(l: string, p: Paint): string {
  if (l.startsWith('+++') || l.startsWith('---')) return p.dim(l);
  if (l.startsWith('+')) return p.green(l);
  if (l.startsWith('-')) return p.red(l);
  if (l.startsWith('@@')) return p.cyan(l);
  return l;
}

function renderAction(a: Action, p: Paint): string[] {
  const head = `  ${p.green('+')} ${a.stage.padEnd(8)} ${a.reason}`;
  if (!a.edits?.length) return [head];
  return [head, ...a.edits.flatMap((e) => renderEdit(e, p)).map((l) => `      ${l}`)];
}

function sourceLine(vm: VmPlan): string[] {
  const s = vm.facts.source;
  if (s.type !== 'vsphere') return [];
  const inv = s.inventory;
  const snapshots = `${inv.snapshots.length} snapshot(s)`;
  return [`  vsphere: ${inv.path}, ${inv.power_state}, ${inv.guest_id}, ${inv.firmware}, ${snapshots}`];
}

/** A NIC's source network, and where the policy attaches it: "(VM Network → bridge br0, multus lan)". */
function nicPlace(n: NicFacts): string {
  const to = Object.entries(n.attach ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, name]) => `${kind} ${name}`);
  if (!n.network && !to.length) return '';
  return ` (${[n.network, to.length ? `→ ${to.join(', ')}` : undefined].filter(Boolean).join(' ')})`;
}

/** What inspection found in the guest, as label and text: the plan's `guest:` and `btrfs:` lines, the
 *  report's rows. */
export function guestLines(g: PlannedGuest | undefined): [string, string][] {
  if (!g) return [['guest', 'not inspected (-inspect=false)']];
  const snapshots = g.snapshots ? ` (${g.snapshots.length} snapper snapshot(s): history, left as they are)` : '';
  const root = 'root' in g ? `, root ${g.root}${snapshots}` : '';
  const out: [string, string][] = [['guest', `${g.os.distro} ${g.os.product}, ${g.firmware}${root}`]];
  if ('btrfs_scrub' in g && g.btrfs_scrub) {
    const subvolumes = g.mounts.filter((m) => m.options).map((m) => m.mountpoint);
    out.push([
      'btrfs',
      `read-only scrub ${g.btrfs_scrub.result} (${g.btrfs_scrub.summary})` +
        (subvolumes.length ? `; FIX mounts the subvolumes ${subvolumes.join(', ')} as fstab does` : ''),
    ]);
  }
  if (g.luks?.length)
    out.push([
      'encrypted',
      `${g.luks.map((v) => `${v.device} opened as ${v.name}`).join(', ')} (LUKS, with its passphrase from ` +
        'luks_keys: read-only to plan, read-write in FIX; the boot test types it at the prompt)',
    ]);
  if ('locked' in g && g.locked?.length)
    out.push(['encrypted', `${g.locked.join(', ')} (LUKS): closed, no passphrase`]);
  return out;
}

function factLines(vm: VmPlan): string[] {
  const f = vm.facts;
  const h = f.hardware;
  const nics = h.nics.map((n) => `${n.model} ${n.mac}${nicPlace(n)}`).join(', ');
  const outputs = vm.outputs.disks.map((d) => `${d.path} (${d.format})`).join(', ');
  return [
    ...sourceLine(vm),
    `  kvm: ${h.cpus} vCPU, ${h.memory_mib} MiB, ${h.firmware}${h.secure_boot ? ' (Secure Boot)' : ''}, ${nics}`,
    ...f.disks.map((d) => {
      const sizes = `${fmtBytes(d.virtual_bytes)} virtual, ${fmtBytes(d.allocated_bytes)} allocated`;
      return `  disk ${d.name}: ${sizes}, ${d.chain.length} layer(s)`;
    }),
    ...guestLines(f.guest).map(([label, text]) => `  ${label}: ${text}`),
    ...(vm.network ?? []).map((n) => `  network: ${describeIntent(n)}`),
    `  output: ${[outputs, ...vm.outputs.files.map((f) => `${f.path} (${f.output})`)].join(', ')}`,
  ];
}

function changeLines(changes: AttributeChange[], p: Paint): string[] {
  const mark = { '+': p.green, '-': p.red, '~': p.yellow };
  return [
    `  ${p.bold('changed since the last apply:')}`,
    ...changes.map((c) => `    ${mark[c.op](c.op)}${describeChange(c).slice(1)}`),
  ];
}

export function renderPlanText(plan: Plan, p: Paint): string {
  const out: string[] = [];
  const vms = Object.values(plan.vms);
  if (plan.drift.length) {
    out.push(p.bold('Drift since the last apply:'));
    for (const d of plan.drift) out.push(`  ${p.yellow('!')} ${describeDrift(d)}`);
    out.push('');
  }
  const counts: Record<string, number> = {};
  const sev: Record<string, number> = { critical: 0, warning: 0, info: 0 };
  for (const vm of vms) {
    out.push(`${p.bold(`# ${vm.address}`)}  ${p.dim(`from ${vm.source.address}`)}`);
    out.push(...factLines(vm));
    if (vm.changes) out.push(...changeLines(vm.changes, p));
    if (vm.actions.length === 0) out.push(`  ${p.dim('no changes: every stage is done and up to date')}`);
    for (const a of vm.actions) {
      out.push(...renderAction(a, p));
      counts[a.stage] = (counts[a.stage] ?? 0) + 1;
    }
    for (const fnd of vm.findings) {
      sev[fnd.severity]++;
      const tag =
        fnd.severity === 'critical'
          ? p.red('CRITICAL')
          : fnd.severity === 'warning'
            ? p.yellow('warning')
            : p.dim('info');
      out.push(`  ${tag} [${fnd.code}] ${fnd.message}${fnd.acknowledged ? p.dim(' (acknowledged by policy)') : ''}`);
    }
    out.push('');
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const byStage = Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  out.push(
    total === 0
      ? p.green(`No changes. ${vms.length} VM(s) match the configuration.`)
      : `${p.bold('Plan:')} ${vms.length} VM(s), ${total} action(s)${byStage ? ` (${byStage})` : ''}; findings: ` +
          `${sev.critical} critical, ${sev.warning} warning, ${sev.info} info.`,
  );
  return `${out.join('\n')}\n`;
}
