// A fleet: `apply -workers` sends one job per VM to the pg backend's queue and follows them;
// `h2k worker` on any number of hosts takes jobs, runs each VM's stages and records every
// completed stage in the shared state, so a VM whose worker died is resumed by another at the
// first stage not recorded done once its job expires. Progress travels as NOTIFY messages; results
// come from the jobs and the state, never from the messages.
import { hostname } from 'node:os';
import type { Stage, VmPlan } from '../model/plan.js';
import type { StageResult, VmState } from '../model/state.js';
import { configHash } from '../schema/config-hash.js';
import { STAGE_MODULES } from '../stages/index.js';
import type { Config } from '../schema/config.js';
import type { Claim, FleetQueue } from '../state/pg/queue.js';
import { StateStore } from '../state/store.js';
import { type ApplyEvent, StageError, applyVm } from './apply-vm.js';

export interface VmJob {
  plan_hash: string;
  config_hash: string;
  /** The state lock of the apply that sent the job: a job outliving its apply is not run. */
  lock_id: string;
  /** At most this many VMs of one source in flight across the fleet (0: no limit). */
  source_limit: number;
  vm: VmPlan;
}

export type VmJobResult =
  | { outcome: 'done'; host: string }
  | { outcome: 'failed'; stage: Stage; message: string; hint: string; host: string }
  | { outcome: 'refused'; message: string; hint: string; host: string }
  /** Only told to the worker's own output: the job itself fails, to be retried. */
  | { outcome: 'error'; message: string; hint: string; host: string };

interface Progress {
  job: string;
  event: ApplyEvent;
}

/** The actions still to run: from the first one not recorded done with its input hash — done on
 *  this host, for a stage whose result stays on its host, unless a later stage that wrote to the
 *  shared output_dir (CONVERT) already consumed it. */
export function remainingActions(vm: VmPlan, recorded: VmState | undefined, host: string): VmPlan['actions'] {
  const acts = vm.actions;
  const result = (i: number): StageResult | undefined => recorded?.stages[acts[i].stage];
  const doneAnywhere = (i: number) => result(i)?.status === 'done' && result(i)?.input_hash === acts[i].input_hash;
  const doneHere = (i: number) =>
    doneAnywhere(i) && (!STAGE_MODULES[acts[i].stage].hostLocal || result(i)?.host === host);
  let prefix = 0;
  while (prefix < acts.length && doneAnywhere(prefix)) prefix++;
  let from = 0;
  for (let i = 0; i < prefix; i++) if (!STAGE_MODULES[acts[i].stage].hostLocal) from = i + 1;
  while (from < acts.length && doneHere(from)) from++;
  return acts.slice(from);
}

export interface FleetApplyOptions {
  planHash: string;
  configHash: string;
  lockId: string;
  sourceLimit: number;
  expireInSeconds: number;
  retryLimit: number;
}

/** The apply side: one job per VM, a RunVm that sends it and follows it until it ends. */
export class FleetDispatch {
  private readonly followers = new Map<string, (e: ApplyEvent) => void>();
  private readonly sent: string[] = [];
  /** Jobs are sent one after another, in the plan's order, which is the order workers take them
   *  in (pg-boss orders by creation time: sent at once, they would be taken as their transactions
   *  happened to start). */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: FleetQueue,
    private readonly opts: FleetApplyOptions,
  ) {}

  async start(): Promise<void> {
    await this.queue.start();
    await this.queue.listen((p) => {
      const m = p as Progress;
      if (m?.job && m.event) this.followers.get(m.job)?.(m.event);
    });
  }

  async run(vm: VmPlan, emit: (e: ApplyEvent) => void): Promise<StageError | undefined> {
    const job: VmJob = {
      plan_hash: this.opts.planHash,
      config_hash: this.opts.configHash,
      lock_id: this.opts.lockId,
      source_limit: this.opts.sourceLimit,
      vm,
    };
    const sent = this.sending.then(() =>
      this.queue.send(job, { expireInSeconds: this.opts.expireInSeconds, retryLimit: this.opts.retryLimit }),
    );
    this.sending = sent.catch(() => undefined);
    const id = await sent;
    this.sent.push(id);
    this.followers.set(id, emit);
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const j = await this.queue.job(id).catch(() => undefined); // a lost connection: ask again
        if (!j) continue;
        if (j.state === 'completed') {
          const r = j.output as VmJobResult;
          if (r.outcome === 'done') return undefined;
          const stage = r.outcome === 'failed' ? r.stage : (vm.actions[0]?.stage ?? 'fetch');
          return new StageError(vm.address, stage, `${r.message} (on ${r.host})`, r.hint);
        }
        if (j.state === 'failed' || j.state === 'cancelled') {
          const why = String((j.output as { message?: string })?.message ?? j.state);
          return new StageError(
            vm.address,
            vm.actions[0]?.stage ?? 'fetch',
            `its job ${j.state} after ${j.retryCount} retr${j.retryCount === 1 ? 'y' : 'ies'}: ${why}`,
            'see the workers’ output; h2k apply again resumes at the first stage not recorded done',
          );
        }
      }
    } finally {
      this.followers.delete(id);
    }
  }

  /** Jobs not started yet are cancelled (an interrupted apply); running ones finish their stage. */
  async stop(cancel: boolean): Promise<void> {
    if (cancel) await this.queue.cancel(this.sent);
    await this.queue.stop();
  }
}

/** How often a worker tells the queue its job is alive; a job's expiry must be longer. */
export const HEARTBEAT_MS = 5000;

export interface WorkerEvents {
  claimed(vm: string, job: string): void;
  event(e: ApplyEvent): void;
  finished(vm: string, result: VmJobResult): void;
  waiting(vm: string, why: string): void;
}

/** The worker side: takes jobs until stopped, `concurrency` at a time. */
export async function runWorker(
  config: Config,
  queue: FleetQueue,
  concurrency: number,
  events: WorkerEvents,
): Promise<void> {
  const host = hostname();
  const mine = configHash(config);
  const backend = queue.backend;
  await queue.start();
  await queue.work(concurrency, async ({ id, data }) => {
    const job = data as VmJob;
    const address = job.vm.address;
    const refuse = (message: string, hint: string): VmJobResult => {
      const r: VmJobResult = { outcome: 'refused', message, hint, host };
      events.finished(address, r);
      return r;
    };
    if (job.config_hash !== mine)
      return refuse(
        `the worker's configuration is ${mine}, the plan's ${job.config_hash}`,
        'run every worker with the configuration the plan was made from (the same files and variables)',
      );
    if ((await backend.readLock())?.id !== job.lock_id)
      return refuse('the apply that sent this job no longer holds the state lock', 'run h2k apply again');
    events.claimed(address, id);
    // From here until the job ends, also while it waits for its VM or a slot of its source.
    const beat = setInterval(() => void queue.heartbeat(id), HEARTBEAT_MS);
    const claims: Claim[] = [];
    try {
      claims.push(await queue.claim(`vm:${address}`, () => events.waiting(address, 'another worker has it')));
      const source = job.vm.source.address;
      if (job.source_limit)
        claims.push(
          await queue.slot(`source:${source}`, job.source_limit, () =>
            events.waiting(address, `${source} has ${job.source_limit} VM(s) in flight`),
          ),
        );
      const state = await StateStore.open(backend);
      const actions = remainingActions(job.vm, state.data.vms[address], host);
      const emit = (event: ApplyEvent) => {
        events.event(event);
        void queue.notify({ job: id, event } satisfies Progress);
      };
      for (const a of job.vm.actions.slice(0, job.vm.actions.length - actions.length)) {
        const by = state.data.vms[address]?.stages[a.stage]?.host ?? 'another worker';
        emit({ kind: 'stage-done', vm: address, stage: a.stage, seconds: 0, note: `recorded done by ${by}` });
      }
      await applyVm({ config, vm: { ...job.vm, actions }, planHash: job.plan_hash, state, emit });
      const r: VmJobResult = { outcome: 'done', host };
      events.finished(address, r);
      return r;
    } catch (err) {
      if (err instanceof StageError) {
        const r: VmJobResult = { outcome: 'failed', stage: err.stage, message: err.message, hint: err.hint, host };
        events.finished(address, r);
        return r;
      }
      // Not the VM's failure (the backend unreachable too long, a bug): the job fails and is retried.
      const e = err as Error & { hint?: string };
      events.finished(address, { outcome: 'error', message: e.message, hint: e.hint ?? 'the job is retried', host });
      throw err;
    } finally {
      clearInterval(beat);
      for (const c of claims.reverse()) await c.release();
    }
  });
}
