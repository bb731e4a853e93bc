// Apply progress in a terminal: a listr2 task per VM with a subtask per stage, driven by the
// executor's events. Without a terminal the apply command prints one line per event instead.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { ApplyEvent } from '../operations/apply-vm.js';
import type { Stage, VmPlan } from '../model/plan.js';
import type { Paint } from '../render/paint.js';
import { oncePer } from '../util/once-per.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // observed through listr; never an unhandled rejection
  return { promise, resolve, reject };
}

/** Runs every VM through `run`, showing live progress; resolves to each VM's error (or undefined). */
export async function applyWithListr<E>(
  vms: VmPlan[],
  parallelism: number,
  run: (vm: VmPlan, emit: (e: ApplyEvent) => void) => Promise<E | undefined>,
): Promise<(E | undefined)[]> {
  const results: (E | undefined)[] = new Array(vms.length);
  const runs: Promise<void>[] = [];
  let internal: unknown;
  const list = new Listr(
    vms.map((vm, i) => ({
      title: vm.address,
      task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
        const stages = new Map<Stage, Deferred>(vm.actions.map((a) => [a.stage, deferred()]));
        const subtasks = new Map<Stage, ListrTaskWrapper<unknown, never, never>>();
        const emit = (e: ApplyEvent) => {
          const d = stages.get(e.stage);
          if (e.kind === 'stage-step' || e.kind === 'stage-progress') {
            const t = subtasks.get(e.stage);
            if (t) t.output = e.message;
          }
          if (e.kind === 'stage-done') {
            const t = subtasks.get(e.stage);
            if (t) t.title = `${e.stage} (${e.seconds.toFixed(1)} s${e.note ? `, ${e.note}` : ''})`;
            d?.resolve();
          }
          if (e.kind === 'stage-failed') d?.reject(new Error(`${e.stage}: ${e.error}`));
        };
        const running = run(vm, emit)
          .then(
            (err) => {
              results[i] = err;
            },
            (err: unknown) => {
              internal ??= err;
            },
          )
          // A VM that stopped early leaves later stages unsettled: fail them so the list ends.
          .finally(() => {
            for (const d of stages.values()) d.reject(new Error('not run'));
          });
        runs.push(running);
        return task.newListr(
          vm.actions.map((a) => ({
            title: a.stage,
            task: async (_c: unknown, t: ListrTaskWrapper<unknown, never, never>) => {
              subtasks.set(a.stage, t);
              await stages.get(a.stage)!.promise;
            },
          })),
          { concurrent: false, exitOnError: true },
        );
      },
    })),
    { concurrent: parallelism, exitOnError: false, renderer: 'default', rendererOptions: { collapseSubtasks: false } },
  );
  await list.run().catch(() => undefined);
  await Promise.all(runs);
  if (internal) throw internal;
  return results;
}

/** One progress line per event, where there is no terminal to draw on (CI, a worker's log). */
export function eventLine(e: ApplyEvent, p: Paint): string {
  const at = `${e.vm}: ${e.stage}`;
  switch (e.kind) {
    case 'stage-start':
      return `${at}: started`;
    case 'stage-step':
    case 'stage-progress':
      return p.dim(`${at}: ${e.message}`);
    case 'stage-done':
      return `${at}: ${p.green('done')} in ${e.seconds.toFixed(1)} s${e.note ? ` (${e.note})` : ''}`;
    case 'stage-failed':
      return `${at}: ${p.red('failed')}: ${e.error}`;
  }
}

/** Events for a log: every one but progress, which passes at most once per `everyMs` per VM and stage
 *  (a download's bytes, a boot's seconds), so a long stage says it is alive without flooding CI logs. */
export function throttledProgress(
  print: (e: ApplyEvent) => void,
  everyMs = 10_000,
  now: () => number = Date.now,
): (e: ApplyEvent) => void {
  const gates = new Map<string, () => boolean>();
  return (e) => {
    if (e.kind === 'stage-progress') {
      const key = `${e.vm} ${e.stage}`;
      const due = gates.get(key) ?? gates.set(key, oncePer(everyMs, now)).get(key)!;
      if (!due()) return;
    }
    print(e);
  };
}
