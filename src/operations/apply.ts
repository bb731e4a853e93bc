// apply: under the state lock, take a saved plan (refused when stale) or make one, then perform it
// VM by VM, each stage recorded as it completes. A refresh-only plan makes the state match what is
// on disk instead. SIGINT/SIGTERM release the lock and leave every completed stage recorded.
import { type Plan, STAGES, type Stage, type VmPlan, blockingFindings, hasChanges } from '../model/plan.js';
import { planHash, planJson } from '../planner/plan.js';
import { configHash } from '../schema/config-hash.js';
import type { Config } from '../schema/config.js';
import type { StateBackend } from '../state/backend.js';
import { StateStore } from '../state/store.js';
import { UserError } from '../util/errors.js';
import { type ApplyEvent, StageError, applyVm, checkUnchanged, recordInterrupted } from './apply-vm.js';
import { PgBackend } from '../state/pg/backend.js';
import { FleetQueue } from '../state/pg/queue.js';
import { FleetDispatch, type FleetApplyOptions } from './fleet.js';
import { acceptDrift } from './refresh.js';
import { writeReports } from './report.js';
import { type PlanOptions, makePlan } from './plan.js';
import { isNoSpace } from '../util/files.js';

/** apply -workers: the VMs go to the fleet's queue instead of running here. */
export type FleetOptions = Pick<FleetApplyOptions, 'sourceLimit' | 'expireInSeconds' | 'retryLimit'>;

export type RunVm = (vm: VmPlan, emit: (e: ApplyEvent) => void) => Promise<StageError | undefined>;

export interface ApplyHooks {
  /** Shows a plan made here (not for a saved plan, which was reviewed already). */
  show(plan: Plan): void;
  /** Asks before changing anything; throws to cancel. Not called for a saved plan. */
  confirm(plan: Plan): Promise<void>;
  /** Runs every VM (with progress as the caller shows it); resolves to each VM's failure. */
  schedule(vms: VmPlan[], run: RunVm): Promise<(StageError | undefined)[]>;
  progress(msg: string): void;
}

export type ApplyResult =
  | { kind: 'nothing' }
  | { kind: 'refreshed'; forgotten: number; serial: number }
  | { kind: 'applied'; vms: VmPlan[]; failed: StageError[]; reports: WrittenReports };

/** The report.html files written after an apply, or why none could be (it never fails the apply). */
export type WrittenReports = { path: string; vms: number }[] | { problem: string };

/** A saved plan must match the configuration, the state and the sources it was made from. */
export async function checkNotStale(config: Config, state: StateStore, plan: Plan): Promise<void> {
  if (plan.config_hash !== configHash(config))
    throw new UserError(
      'the plan is stale: the configuration changed since it was made',
      'plan again: h2k plan -out FILE',
    );
  const lineage = state.planLineage;
  if (plan.state.serial !== state.data.serial || plan.state.lineage !== lineage) {
    const other = plan.state.lineage !== null && plan.state.lineage !== lineage ? ' of another lineage' : '';
    throw new UserError(
      `the plan is stale: it was made against state serial ${plan.state.serial}, the state is now at serial ` +
        `${state.data.serial}${other}`,
      'another apply ran since; plan again',
    );
  }
  for (const vm of Object.values(plan.vms)) await checkUnchanged(config, vm);
}

function refuseUnappliable(plan: Plan): void {
  const uninspected = Object.values(plan.vms)
    .filter((v) => v.findings.some((f) => f.code === 'guest-not-inspected'))
    .map((v) => v.address);
  if (uninspected.length)
    throw new UserError(
      `the plan was made without guest inspection (-inspect=false) for ${uninspected.join(', ')}; it cannot be applied`,
      'plan again without -inspect=false',
    );
  const blocking = blockingFindings(plan);
  if (blocking.length)
    throw new UserError(
      `${blocking.length} critical finding(s) block this apply: ` +
        `${blocking.map((b) => `${b.vm} [${b.code}]`).join(', ')}`,
      "fix the cause, or add the code to the policy's acknowledge list",
    );
}

export async function apply(
  config: Config,
  backend: StateBackend,
  source: { saved: Plan } | { make: Omit<PlanOptions, 'progress'> },
  hooks: ApplyHooks,
  lockTimeoutMs = 0,
  fleet?: FleetOptions,
  until?: Stage,
): Promise<ApplyResult> {
  // A worker runs a VM's whole job; stopping early is a decision made where the stages run.
  if (fleet && until)
    throw new UserError(
      '-until cannot be combined with -workers',
      'apply -until here, then hand the rest to the fleet',
    );
  if (fleet && !(backend instanceof PgBackend))
    throw new UserError(
      'apply -workers needs a shared state backend; this configuration keeps its state in local files',
      'add backend "pg" { conn_str = var.pg_conn } and move the state there: h2k state migrate',
    );
  const lock = await backend.lock('apply', lockTimeoutMs);
  let dispatch: FleetDispatch | undefined;
  // An interrupted apply records the stages it was in as interrupted and releases its lock; its
  // state holds every stage completed so far, and its helpers end with it (tools/reaper.ts). A
  // second signal ends h2k at once. The handlers stay registered until apply returns: without
  // them, execa's exit hook would re-raise the signal and h2k would die of it before recording.
  let stopping = false;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => {
    const code = sig === 'SIGINT' ? 130 : 143;
    const h = () => {
      if (stopping) {
        void lock.release();
        process.exit(code);
      }
      stopping = true;
      const again = sig === 'SIGINT' ? 'Ctrl-C again' : 'a second signal';
      process.stderr.write(
        `\n${sig}: stopping (the stages in progress are recorded as interrupted; ${again} forces)\n`,
      );
      void recordInterrupted(sig)
        .then(() => dispatch?.stop(true))
        .finally(() => lock.release())
        .finally(() => process.exit(code));
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    const state = await StateStore.open(backend);
    let plan: Plan;
    if ('saved' in source) {
      plan = source.saved;
      await checkNotStale(config, state, plan);
    } else {
      plan = (await makePlan(config, state, { ...source.make, progress: hooks.progress })).plan;
      hooks.show(plan);
    }
    if (plan.mode === 'refresh-only') {
      if (!hasChanges(plan)) return { kind: 'nothing' };
      if (!('saved' in source)) await hooks.confirm(plan);
      const forgotten = await acceptDrift(state, plan.drift);
      return { kind: 'refreshed', forgotten, serial: state.data.serial };
    }
    refuseUnappliable(plan);
    if (!hasChanges(plan)) return { kind: 'nothing' };
    // -until: each VM's actions up to that stage; a VM already past it has nothing to do here.
    const upTo = (a: { stage: Stage }) => !until || STAGES.indexOf(a.stage) <= STAGES.indexOf(until);
    const vms = Object.values(plan.vms)
      .map((v) => ({ ...v, actions: v.actions.filter(upTo) }))
      .filter((v) => v.actions.length);
    if (!vms.length) return { kind: 'nothing' };
    if (until) hooks.progress(`-until ${until}: each VM stops once ${until.toUpperCase()} is recorded done`);
    state.bear(plan.config_hash);
    if (!('saved' in source)) await hooks.confirm(plan);
    const hash = planHash(plan);
    const fromFile = 'saved' in source;
    await state.backend.keepPlan(hash, planJson(plan));
    await state.audit({
      event: 'apply-started',
      plan_hash: hash,
      details: { vms: vms.map((v) => v.address), from_plan_file: fromFile, ...(until ? { until } : {}) },
    });
    if (fleet && backend instanceof PgBackend) {
      dispatch = new FleetDispatch(new FleetQueue(backend), {
        planHash: hash,
        configHash: configHash(config),
        lockId: lock.info.id,
        ...fleet,
      });
      await dispatch.start();
    }
    // A lock held in a database session is taken again after a lost connection.
    const keep = lock.ensure && setInterval(() => void lock.ensure?.().catch(() => undefined), 5000);
    const runVm: RunVm = async (vm, emit) => {
      if (dispatch) return dispatch.run(vm, emit);
      try {
        await applyVm({ config, vm, planHash: hash, state, emit });
        return undefined;
      } catch (err) {
        if (err instanceof StageError) return err;
        throw err;
      }
    };
    const failed = (await hooks.schedule(vms, runVm).finally(() => keep && clearInterval(keep))).filter(
      (r): r is StageError => r !== undefined,
    );
    const ok = failed.length === 0;
    const failures = failed.map((f) => `${f.vm}:${f.stage}`);
    // A stage that failed on a full disk may have filled the journal's filesystem too: then that
    // failure is what to report, not the closing record that could not be written after it (the
    // journal keeps every record before it, and verifies).
    await state
      .audit({ event: 'apply-finished', plan_hash: hash, details: { ok, failed: failures } })
      .catch((err: unknown) => {
        if (ok || !isNoSpace(err)) throw err;
      });
    let reports: WrittenReports;
    try {
      reports = await writeReports(state, config.dir, new Date());
    } catch (err) {
      reports = { problem: (err as Error).message.split('\n')[0] };
    }
    return { kind: 'applied', vms, failed, reports };
  } finally {
    await dispatch?.stop(false);
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    await lock.release();
  }
}
