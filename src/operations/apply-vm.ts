// Runs one VM's planned actions in stage order. Each completed stage is recorded in state with the
// input hash the plan gave it and its outputs (size, sha256), so a killed apply resumes at the
// first stage not recorded done, and redoes that one from a clean start.
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { bootTest } from '../executors/boot-test.js';
import { convertImages } from '../executors/convert.js';
import { runFix } from '../executors/fix.js';
import { createOverlays } from '../executors/flatten.js';
import { domainXml } from '../executors/libvirt-xml.js';
import { type Workspace, outputRecord, workspace } from '../executors/workspace.js';
import { prepareBootOverlays } from '../guests/boot.js';
import { familyForGuest } from '../guests/registry.js';
import { type Action, type Stage, type VmPlan, vmSlug } from '../model/plan.js';
import type { StageOutcome, StageResult } from '../model/state.js';
import { sourceDriver } from '../providers/registry.js';
import { configVm } from '../schema/config-vm.js';
import type { Config } from '../schema/config.js';
import { stateDir } from '../state/local/paths.js';
import type { StateStore } from '../state/store.js';
import { findTool } from '../tools/locate.js';
import { checkImage } from '../tools/qemu-img.js';
import { UserError } from '../util/errors.js';
import { isNoSpace, roomAt } from '../util/files.js';

export type ApplyEvent =
  | { kind: 'stage-start'; vm: string; stage: Stage }
  | { kind: 'stage-step'; vm: string; stage: Stage; message: string }
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
  const dir = stage === 'fetch' ? ws.fetchDir : stage === 'convert' ? dirname(ws.outDisks[0]) : ws.dir;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const guest = vm.facts.guest;
  // What the stage writes there, where h2k can tell (a boot test's writes it cannot).
  const need =
    stage === 'fix' && guest
      ? familyForGuest(guest).fixWriteBytes(guest)
      : stage === 'fetch' || stage === 'convert'
        ? vm.facts.disks.reduce((n, d) => n + d.allocated_bytes, 0)
        : undefined;
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
  const format = vm.outputs.disks[0].format;
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
      await record(action.stage, { status: 'failed', ...base, outputs: [], ...times(), error: message }).catch(
        (err: Error) => (message += ` (not recorded in state: ${err.message.split('\n')[0]})`),
      );
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

  async function runStage(action: Action): Promise<StageOutcome> {
    const step = (message: string) => emit({ kind: 'stage-step', vm: vm.address, stage: action.stage, message });
    switch (action.stage) {
      case 'fetch': {
        if (!driver.fetch) throw new Error(`${vm.source.type} sources have no FETCH stage`);
        const input = { source: src, vm, policy: cfgVm.policy, dir: ws.fetchDir, configDir: config.dir };
        return driver.fetch.run({ ...input, onStep: step });
      }
      case 'flatten':
        await createOverlays(ws.overlays, await driver.diskEntries(src, vm, ws.fetchDir));
        return { outputs: [] };
      case 'inspect':
        await driver.checkUnchanged(src, vm, cfgVm);
        return { outputs: [], note: driver.fetch ? 'fetched chain intact' : 'source unchanged since the plan' };
      case 'plan':
        return { outputs: [], note: `plan ${opts.planHash.slice(0, 12)}` };
      case 'fix': {
        const guest = vm.facts.guest;
        if (!guest) throw new UserError('the plan has no guest facts', 'plan again without -inspect=false');
        const edits = action.edits ?? [];
        const family = familyForGuest(guest);
        const mounts = family.fixMounts(guest);
        const sources = await driver.diskEntries(src, vm, ws.fetchDir);
        const host = edits.some((e) => e.kind === 'upload')
          ? await family.openHostFiles?.(cfgVm.policy, config.dir)
          : undefined;
        let r;
        try {
          r = await runFix({
            overlays: ws.overlays,
            sources,
            mounts,
            edits,
            onStep: step,
            family,
            hostRoot: host?.root,
          });
        } finally {
          host?.close();
        }
        const note = `${edits.length} change(s), ${r.launches} libguestfs launch${r.launches === 1 ? '' : 'es'}`;
        return { outputs: [], note, details: { libguestfs_launches: r.launches } };
      }
      case 'convert': {
        if (ws.overlays.some((o) => !existsSync(o)))
          throw new UserError('the fixed overlay is missing', `run h2k apply -replace ${vm.address} to redo this VM`);
        await convertImages({ overlays: ws.overlays, outs: ws.outDisks, format, compress: cfgVm.policy.compress });
        return { outputs: await Promise.all(ws.outDisks.map((d) => outputRecord(d, config.dir))) };
      }
      case 'validate':
        return validate(step);
    }
  }

  async function validate(step: (m: string) => void): Promise<StageOutcome> {
    for (const disk of ws.outDisks) {
      const problem = await checkImage(disk, format);
      if (problem) throw new Error(`qemu-img check found a problem in ${disk}: ${problem}`);
    }
    let details: Record<string, unknown> = {};
    let note = 'qemu-img check clean';
    const hw = vm.facts.hardware;
    const untestable = vm.facts.guest ? familyForGuest(vm.facts.guest).boot.untestable : undefined;
    if (untestable && cfgVm.policy.boot_test) note = `qemu-img check clean; no boot test: ${untestable}`;
    if (cfgVm.policy.boot_test && vm.facts.guest && !untestable) {
      step(`booting ${vm.outputs.disks.map((d) => d.path).join(', ')} on a throwaway overlay`);
      const guest = vm.facts.guest;
      const v = await bootTest({
        images: ws.outDisks,
        format,
        hw,
        evidence: familyForGuest(guest).boot,
        prepare: (layers) => prepareBootOverlays(layers, guest),
        ...(vm.network ? { network: vm.network } : {}),
        timeoutSec: cfgVm.policy.boot_timeout,
        workDir: ws.dir,
      });
      const seconds = Number(v.seconds.toFixed(1));
      details = { boot_test: { passed: v.passed, seconds, checks: v.checks, network: v.network, accel: v.accel } };
      if (!v.passed) throw new UserError(`boot test failed: ${v.failure}`, `serial log: ${v.serialLog}`);
      const net = v.network ? `${v.network.ip} (${v.network.how})` : '';
      note =
        `boot test passed in ${v.seconds.toFixed(0)} s (${v.accel}): default target, root read-write, ` +
        `fstab mounted, network ${net}`;
    }
    const hints = vm.facts.guest ? familyForGuest(vm.facts.guest).domain : undefined;
    writeFileSync(
      ws.outXml,
      domainXml({ name: vmSlug(vm.address), disks: ws.outDisks, format, hw, ...(hints ? { hints } : {}) }),
    );
    const validator = findTool('virt-xml-validate');
    if (validator) {
      const r = await execa(validator, [ws.outXml, 'domain'], { reject: false });
      if (r.exitCode !== 0)
        throw new Error(`libvirt rejects the domain XML: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
    }
    return { outputs: [await outputRecord(ws.outXml, config.dir)], note, details };
  }
}
