// The plan as a pull-request comment: counts per action kind, then a collapsible section per VM
// with its guest-file diffs and findings. Stable (sorted, no times) so an updated comment diffs well.
import { unifiedDiff } from '../util/unified-diff.js';
import { type GuestEdit, type Plan, describeChange } from '../model/plan.js';

function editMarkdown(e: GuestEdit): string {
  switch (e.kind) {
    case 'write': {
      const diff = unifiedDiff(e.before, e.after, e.create ? '/dev/null' : `a${e.path}`, `b${e.path}`).trimEnd();
      return `- \`~ ${e.path}\` — ${e.reason}\n\n\`\`\`diff\n${diff}\n\`\`\``;
    }
    case 'delete':
      return `- \`- ${e.path}\` — ${e.reason}`;
    case 'symlink':
      return `- \`+ ${e.path} -> ${e.target}\` — ${e.reason}`;
    case 'copy':
      return `- \`+ ${e.path} <- ${e.from}\` (sha256 \`${e.sha256}\`) — ${e.reason}`;
    case 'upload':
      return `- \`+ ${e.path} <- virtio_win:${e.from}\` (sha256 \`${e.sha256}\`) — ${e.reason}`;
    case 'registry': {
      const diff = unifiedDiff(e.before, e.after, `a${e.hive}`, `b${e.hive}`).trimEnd();
      return `- \`~ ${e.hive}\` (registry ${e.prefix}) — ${e.reason}\n\n\`\`\`diff\n${diff}\n\`\`\``;
    }
    case 'run':
      return `- \`! ${e.command.join(' ')}\` — ${e.reason}`;
    case 'trim':
      return `- \`! fstrim\` — ${e.reason}`;
  }
}

export function renderPlanMarkdown(plan: Plan): string {
  const vms = Object.values(plan.vms);
  const counts = new Map<string, number>();
  const sev = { critical: 0, warning: 0, info: 0 };
  for (const vm of vms) {
    for (const a of vm.actions) counts.set(a.stage, (counts.get(a.stage) ?? 0) + 1);
    for (const f of vm.findings) sev[f.severity]++;
  }
  const out = ['### h2k plan', ''];
  out.push(`| VMs | ${[...counts.keys()].join(' | ')}${counts.size ? ' | ' : ''}critical | warning | info |`);
  out.push(`|---|${[...counts.keys()].map(() => '---|').join('')}---|---|---|`);
  out.push(
    `| ${vms.length} | ${[...counts.values()].join(' | ')}${counts.size ? ' | ' : ''}${sev.critical} | ` +
      `${sev.warning} | ${sev.info} |`,
  );
  out.push('');
  if (plan.drift.length) {
    out.push('**Drift since the last apply**', '');
    for (const d of plan.drift)
      out.push(`- \`${d.vm}\`${d.stage ? ` ${d.stage}` : ''}${d.path ? ` \`${d.path}\`` : ''}: ${d.problem}`);
    out.push('');
  }
  for (const vm of vms) {
    const stages = vm.actions.map((a) => a.stage).join(' → ') || 'no changes';
    out.push(`<details><summary><code>${vm.address}</code>: ${stages}</summary>`, '');
    const disks = vm.outputs.disks.map((d) => `\`${d.path}\` (${d.format})`).join(', ');
    out.push(`Output: ${[disks, ...vm.outputs.files.map((f) => `\`${f.path}\` (${f.output})`)].join(', ')}`, '');
    if (vm.changes)
      out.push('**Changed since the last apply**', '', ...vm.changes.map((c) => `- \`${describeChange(c)}\``), '');
    const fix = vm.actions.find((a) => a.edits);
    if (fix?.edits?.length) out.push('**Guest changes**', '', ...fix.edits.map(editMarkdown), '');
    if (vm.findings.length) {
      out.push('**Findings**', '');
      for (const f of vm.findings)
        out.push(`- **${f.severity}** \`${f.code}\`: ${f.message}${f.acknowledged ? ' _(acknowledged)_' : ''}`);
      out.push('');
    }
    out.push('</details>', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
