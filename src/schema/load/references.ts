// References between objects: each must point at something declared, `each` only inside a
// for_each vm; then the order that evaluates every object after what it refers to (cycles reported).
import type { Expr } from '../ast.js';
import type { Diagnostics } from '../diagnostics.js';
import { REFERENCE_ROOTS, references, undeclared } from '../evaluate.js';
import type { GraphNode, Structure } from './structure.js';

export interface ReferenceCheck {
  /** Objects that cannot be evaluated (their own problem, or one of what they refer to). */
  failed: Set<string>;
  /** Dependencies by object address. */
  deps: Map<string, string[]>;
  /** Diagnoses the references of `expr` (written in `owner`); returns those to order by. */
  checkRefs(owner: string, expr: Expr, eachAllowed: boolean): string[];
  order: string[];
}

export function checkReferences({ variables, nodes }: Structure, diags: Diagnostics): ReferenceCheck {
  const declaredRef = (path: string[]): boolean => {
    switch (path[0]) {
      case 'var':
        return variables.has(path[1]);
      case 'local':
      case 'policy':
        return nodes.has(path.join('.'));
      case 'source':
        return nodes.has(path.join('.'));
      default:
        return false;
    }
  };
  const failed = new Set<string>();
  const deps = new Map<string, string[]>();
  const checkRefs = (owner: string, expr: Expr, eachAllowed: boolean): string[] => {
    const out: string[] = [];
    for (const ref of references(expr)) {
      const root = ref.path[0];
      if (!(root in REFERENCE_ROOTS)) {
        diags.error(
          'Invalid reference',
          `A reference must start with var., local., source., policy. or each.; "${ref.path.join('.')}" does ` +
            `not. If you meant a string, put it in quotes.`,
          ref.span,
        );
        failed.add(owner);
        continue;
      }
      if (ref.path.length < REFERENCE_ROOTS[root]) {
        diags.error(
          'Invalid reference',
          `A reference to "${root}" must name what it refers to, like ` +
            `${root === 'source' ? 'source.local.NAME' : `${root}.NAME`}.`,
          ref.span,
        );
        failed.add(owner);
        continue;
      }
      if (root === 'each') {
        if (!eachAllowed) {
          diags.error(
            'Reference to "each" in context without for_each',
            'The "each" object can be used only in a vm block that has for_each set.',
            ref.span,
          );
          failed.add(owner);
        }
        continue;
      }
      if (!declaredRef(ref.path)) {
        const e = undeclared(ref.path, ref.span);
        diags.error(e.summary, e.detail, e.span);
        failed.add(owner);
        continue;
      }
      if (root !== 'var') out.push(ref.path.join('.'));
    }
    return out;
  };
  for (const node of nodes.values())
    deps.set(
      node.address,
      [...node.attrs, ...(node.checks ?? []).flatMap((b) => b.body.attributes)].flatMap((a) =>
        checkRefs(node.address, a.expr, false),
      ),
    );
  const order = topologicalOrder(nodes, deps, diags, failed);
  return { failed, deps, checkRefs, order };
}

function topologicalOrder(
  nodes: Map<string, GraphNode>,
  deps: Map<string, string[]>,
  diags: Diagnostics,
  failed: Set<string>,
): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(n)), n];
      diags.error(
        'Cycle in references',
        `These objects refer to each other in a loop: ${cycle.join(' → ')}. Break the loop by removing one of ` +
          `the references.`,
        nodes.get(n)!.span,
      );
      for (const c of cycle) failed.add(c);
      return;
    }
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of [...new Set(deps.get(n) ?? [])].sort()) if (nodes.has(d)) visit(d);
    stack.pop();
    state.set(n, 'done');
    order.push(n);
  };
  for (const n of [...nodes.keys()].sort()) visit(n);
  return order;
}
