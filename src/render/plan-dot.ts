// The action graph as Graphviz DOT: a cluster per VM, a node per planned stage, its dependencies.
import type { Plan } from '../model/plan.js';

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function renderPlanDot(plan: Plan): string {
  const out = ['digraph h2k {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  Object.values(plan.vms).forEach((vm, i) => {
    out.push(`  subgraph cluster_${i} {`, `    label=${q(vm.address)};`);
    for (const a of vm.actions) out.push(`    ${q(a.id)} [label=${q(a.stage)}];`);
    out.push('  }');
    for (const a of vm.actions) for (const d of a.depends_on) out.push(`  ${q(d)} -> ${q(a.id)};`);
  });
  out.push('}');
  return `${out.join('\n')}\n`;
}
