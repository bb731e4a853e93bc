// Runs one VM's planned actions in stage order. Each completed stage is recorded in state with the
// input hash the plan gave it and its outputs (size, sha256), so a killed apply resumes at the
// first stage not recorded done, and redoes that one from a clean start.
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { type Workspace, workspace } from '../executors/workspace.js';
import type { Action, Stage, VmPlan } from '../model/plan.js';
import type { StageOutcome, StageResult } from '../model/state.js';
import { sourceDriver } from '../providers/registry.js';
import { configVm } from '../schema/config-vm.js';
import type { Config } from '../schema/config.js';
import { STAGE_MODULES } from '../stages/index.js';
import { stateDir } from '../state/local/paths.js';
import type { StateStore } from '../state/store.js';
import { FailureWithDetails, UserError } from '../util/errors.js';
import { isNoSpace, roomAt } from '../util/files.js';
import { oncePer } from '../util/once-per.js';

export type ApplyEvent =
  | { kind: 'stage-start'; vm: string; stage: Stage }
  | { kind: 'stage-step'; vm: string; stage: Stage; message: string }
  | { kind: 'stage-progress'; vm: string; stage: Stage; message: string }
  | { kind: 'stage-done'; vm: string; stage: Stage; seconds: number; note?: string }
  | { kind: 'stage-failed'; vm: string; stage: Stage; error: string };

export class StageError extends Error {
  constructor(
    readonly vm: string,
    readonly stage: Stage,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function sourceOf(config: Config, vm: VmPlan) {
  const src = config.sources[vm.source.address];
  if (!src || src.type !== vm.source.type)
    throw new UserError(
      `${vm.address}: its source ${vm.source.address} is not a ${vm.source.type} source in the configuration`,
      'plan again',
    );
  return { src, driver: sourceDriver(src.type) };
}

/** Refuses to start when the source no longer matches what the plan was made from. */
export async function checkUnchanged(config: Config, vm: VmPlan): Promise<void> {
  const { src, driver } = sourceOf(config, vm);
  await driver.checkUnchanged(src, vm, configVm(config, vm.address));
}

/** The stage each VM is in, as a way to record it interrupted. */
const running = new Map<string, (signal: string) => Promise<void>>();

/** Records every running stage as interrupted (SIGINT/SIGTERM), so state says where apply stopped. */
export async function recordInterrupted(signal: string): Promise<void> {
  const pending = [...running.values()];
  running.clear();
  await Promise.allSettled(pending.map((r) => r(signal)));
}

/** A full filesystem, said in one line naming the directory the stage writes and what it needs there. */
function diskFull(err: unknown, stage: Stage, ws: Workspace, vm: VmPlan): UserError | undefined {
  if (!isNoSpace(err)) return undefined;
  const writes = STAGE_MODULES[stage].writes;
  const dir = writes?.place === 'fetch' ? ws.fetchDir : writes?.place === 'output' ? dirname(ws.outDisks[0]) : ws.dir;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  // What the stage writes there, where h2k can tell (a boot test's writes it cannot).
  const need = writes?.bytes(vm.facts.disks, vm.facts.guest);
  const room = roomAt(dir);
  const said = [
    ...(need !== undefined ? [`it needs up to ${mib(need)} there`] : []),
    ...(room ? [`${mib(room.free)} free now`] : []),
  ];
  return new UserError(
    `${dir}: no space left on device during ${stage.toUpperCase()}${said.length ? ` (${said.join(', ')})` : ''}`,
    'free space there (or set output_dir elsewhere), then run h2k apply again: completed stages are not redone',
  );
}

export async function applyVm(opts: {
  config: Config;
  vm: VmPlan;
  planHash: string;
  state: StateStore;
  emit: (e: ApplyEvent) => void;
}): Promise<void> {
  const { config, vm, state, emit } = opts;
  const ws = workspace(config.dir, stateDir(config.dir), vm.address, vm.outputs);
  const { src, driver } = sourceOf(config, vm);
  const cfgVm = configVm(config, vm.address);
  const record = async (stage: Stage, result: StageResult) => {
    const details =
      result.status === 'done'
        ? { input_hash: result.input_hash, outputs: result.outputs }
        : { error: result.error ?? 'failed' };
    const event = `stage-${result.status}` as const;
    await state.update(
      (d) => {
        (d.vms[vm.address] ??= { stages: {} }).stages[stage] = result;
      },
      { event, vm: vm.address, stage, plan_hash: opts.planHash, details },
    );
  };
  for (const action of vm.actions) {
    const started = new Date();
    const times = () => ({ started_at: started.toISOString(), finished_at: new Date().toISOString() });
    const base = { input_hash: action.input_hash, plan_hash: opts.planHash, host: hostname() };
    emit({ kind: 'stage-start', vm: vm.address, stage: action.stage });
    running.set(vm.address, (signal) =>
      record(action.stage, {
        status: 'interrupted',
        ...base,
        outputs: [],
        ...times(),
        error: `interrupted by ${signal}`,
      }),
    );
    let outcome: StageOutcome;
    try {
      outcome = await runStage(action);
    } catch (caught) {
      running.delete(vm.address);
      const e = (diskFull(caught, action.stage, ws, vm) ?? caught) as Error & { hint?: string };
      let message = e.message.split('\n')[0];
      // The failure is told even when it cannot be recorded (a full disk holds the state too).
      const details = e instanceof FailureWithDetails ? { details: e.details } : {};
      await record(action.stage, {
        status: 'failed',
        ...base,
        outputs: [],
        ...times(),
        error: message,
        ...details,
      }).catch((err: Error) => (message += ` (not recorded in state: ${err.message.split('\n')[0]})`));
      emit({ kind: 'stage-failed', vm: vm.address, stage: action.stage, error: message });
      const hint =
        e.hint ?? 'see the message above; fix the cause and run h2k apply again: completed stages are not redone';
      throw new StageError(vm.address, action.stage, message, hint);
    }
    running.delete(vm.address);
    const { outputs, note, details } = outcome;
    // Fault injection for the kill-anywhere test: a crash in the instant between a stage's work and
    // its state record cannot be timed from outside. Named for what it does; nothing sets it but a test.
    if (process.env.H2K_FAULT_CRASH_BEFORE_RECORD === `${vm.address}:${action.stage}`)
      process.kill(process.pid, 'SIGKILL');
    await record(action.stage, { status: 'done', ...base, outputs, ...times(), ...(details ? { details } : {}) });
    const seconds = (Date.now() - started.getTime()) / 1000;
    emit({ kind: 'stage-done', vm: vm.address, stage: action.stage, seconds, ...(note ? { note } : {}) });
  }

  function runStage(action: Action): Promise<StageOutcome> {
    const at = { vm: vm.address, stage: action.stage };
    const step = (message: string) => emit({ kind: 'stage-step', ...at, message });
    // Downloads report every chunk: a terminal redraws at most once a second, and so do fleet notices.
    const due = oncePer(1000);
    const progress = (message: string) => {
      if (due()) emit({ kind: 'stage-progress', ...at, message });
    };
    const source = { config: src, driver };
    const ctx = { config, vm, cfgVm, action, planHash: opts.planHash, ws, source, step, progress };
    return STAGE_MODULES[action.stage].run(ctx);
  }
}
