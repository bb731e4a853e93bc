// PURE: what changed in a VM's KVM hardware, outputs and policy since the plan its last apply ran,
// attribute by attribute, as Terraform shows a resource's changes. json-diff finds the changes; it
// matches array elements by similarity, so one NIC added before another is one `+`, not every later
// NIC changed. This walks its result into paths.
import { diff } from 'json-diff';
import type { AttributeChange, VmPlan } from '../model/plan.js';

/** The part of a VM's plan a reviewer compares across applies. */
export type Compared = Pick<VmPlan, 'outputs'> & { hardware: unknown; policy?: Record<string, unknown> };

export function attributeChanges(before: Compared, after: Compared): AttributeChange[] {
  const side = (c: Compared, policy: boolean) => ({
    hardware: c.hardware,
    outputs: c.outputs,
    // A plan older than format 1.3 kept no policy: nothing to compare it with.
    ...(policy ? { policy: c.policy } : {}),
  });
  const both = before.policy !== undefined && after.policy !== undefined;
  const d: unknown = diff(side(before, both), side(after, both), { full: false });
  return d === undefined ? [] : walk(d, '');
}

type Node = Record<string, unknown> | unknown[];

function walk(node: unknown, path: string): AttributeChange[] {
  if (Array.isArray(node)) return elements(node as [string, unknown?][], path);
  const n = node as Record<string, unknown>;
  if ('__old' in n && '__new' in n) return [{ op: '~', path, before: n.__old, after: n.__new }];
  return Object.entries(n).flatMap(([k, v]): AttributeChange[] => {
    if (k.endsWith('__added')) return [{ op: '+', path: member(path, k.slice(0, -'__added'.length)), after: v }];
    if (k.endsWith('__deleted')) return [{ op: '-', path: member(path, k.slice(0, -'__deleted'.length)), before: v }];
    return walk(v as Node, member(path, k));
  });
}

/** json-diff's array entries: [' '] kept, ['+', v] added, ['-', v] removed, ['~', diff] changed.
 *  An added or changed element is named by its index after, a removed one by its index before. */
function elements(entries: [string, unknown?][], path: string): AttributeChange[] {
  let before = 0;
  let after = 0;
  const out: AttributeChange[] = [];
  for (const [op, v] of entries) {
    if (op === '+') out.push({ op: '+', path: `${path}[${after++}]`, after: v });
    else if (op === '-') out.push({ op: '-', path: `${path}[${before++}]`, before: v });
    else {
      if (op === '~') out.push(...walk(v, `${path}[${after}]`));
      before++;
      after++;
    }
  }
  return out;
}

function member(path: string, key: string): string {
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return !path ? name : name.startsWith('[') ? `${path}${name}` : `${path}.${name}`;
}
