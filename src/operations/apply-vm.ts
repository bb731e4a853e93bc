// Runs a plan: per VM, its actions in stage order; each completed stage is recorded in state with
// the input hash the plan gave it and its outputs (size, sha256), so a killed apply resumes at the
// first stage not recorded done, and redoes that one from a clean start.
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import { hashOf } from '../util/hash.js';
import type { Action, DiskFacts, HardwareFacts, InventoryFacts, Stage, VmPlan } from '../model/plan.js';
import { localDisks } from '../providers/local/disk-facts.js';
import type { Config, VsphereSourceConfig } from '../schema/config.js';
import type { OutputRecord, StageResult, StateStore } from '../state/local/state-file.js';
import { findTool } from '../tools/locate.js';
import { checkImage } from '../tools/qemu-img.js';
import { bootTest } from '../executors/boot-test.js';
import { convertImage } from '../executors/convert.js';
import { runFix } from '../executors/fix.js';
import { createOverlay } from '../executors/flatten.js';
import { domainXml } from '../executors/libvirt-xml.js';
import { fetchVm, fetchedEntry } from '../providers/vsphere/fetch.js';
import { type Workspace, outputRecord, workspace } from '../executors/workspace.js';
import { resolveChain } from '../providers/vmdk/chain.js';
import { configVm } from '../schema/config-vm.js';
import { vmSlug } from '../planner/plan-vm.js';

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

/** The boot disk's entry file, which FLATTEN and FIX put the overlay on: the local source, or
 *  for vSphere the fetched copy. */
function sourceEntry(config: Config, vm: VmPlan, ws: Workspace): { path: string; format: string } {
  const src = config.sources[vm.source.address];
  if (!src || src.type !== vm.source.type)
    throw new UserError(
      `${vm.address}: its source ${vm.source.address} is not a ${vm.source.type} source in the configuration`,
      'plan again',
    );
  const disks = (vm.facts as { disks: DiskFacts[] }).disks;
  if (src.type === 'vsphere') return fetchedEntry(ws.fetchDir, disks);
  return { path: resolve(src.directory, disks[0].chain[0].file), format: disks[0].chain[0].format };
}

/** Refuses to start when the source no longer matches what the plan was made from. */
export async function checkFingerprint(config: Config, vm: VmPlan): Promise<void> {
  const src = config.sources[vm.source.address];
  // vSphere sources are checked by FETCH, against the datastore, before anything is copied.
  if (!src || src.type !== 'local') return;
  const cfgVm = configVm(config, vm.address);
  let now;
  try {
    now = (await localDisks(src, cfgVm.disks ?? [])).fingerprint;
  } catch (err) {
    throw new UserError(
      `${vm.address}: the source can no longer be read: ${(err as Error).message}`,
      'restore the source disk, or plan again',
    );
  }
  const was = vm.source.fingerprint;
  if (hashOf(now) === hashOf(was)) return;
  const changed = was.files.filter((f) => {
    const n = now.files.find((x) => x.file === f.file);
    return !n || n.size !== f.size || n.mtimeMs !== f.mtimeMs || n.sampleSha256 !== f.sampleSha256;
  });
  const what = changed.length ? changed.map((f) => f.file).join(', ') : 'the disk chain';
  throw new UserError(
    `${vm.address}: the source changed since the plan was made (${what})`,
    'the guest may have been powered on or the disk replaced: run h2k plan again',
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
  const ws = workspace(config.dir, vm.address, vm.outputs);
  const entry = sourceEntry(config, vm, ws);
  const facts = vm.facts as {
    guest: { root: string; mounts: { mountpoint: string; device: string }[] };
    hardware: HardwareFacts;
    disks: DiskFacts[];
    inventory?: InventoryFacts;
  };
  const cfgVm = configVm(config, vm.address);
  for (const action of vm.actions) {
    const started = new Date();
    emit({ kind: 'stage-start', vm: vm.address, stage: action.stage });
    let outputs: OutputRecord[] = [];
    let note: string | undefined;
    let details: Record<string, unknown> | undefined;
    try {
      ({ outputs, note, details } = await runStage(action));
    } catch (err) {
      const e = err as Error & { hint?: string };
      const message = e.message.split('\n')[0];
      await state.update(
        (d) => {
          (d.vms[vm.address] ??= { stages: {} }).stages[action.stage] = {
            status: 'failed',
            input_hash: action.input_hash,
            plan_hash: opts.planHash,
            outputs: [],
            started_at: started.toISOString(),
            finished_at: new Date().toISOString(),
            error: message,
          };
        },
        {
          event: 'stage-failed',
          vm: vm.address,
          stage: action.stage,
          plan_hash: opts.planHash,
          details: { error: message },
        },
      );
      emit({ kind: 'stage-failed', vm: vm.address, stage: action.stage, error: message });
      throw new StageError(
        vm.address,
        action.stage,
        message,
        e.hint ?? 'see the message above; fix the cause and run h2k apply again: completed stages are not redone',
      );
    }
    const record: StageResult = {
      status: 'done',
      input_hash: action.input_hash,
      plan_hash: opts.planHash,
      outputs,
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      ...(details ? { details } : {}),
    };
    await state.update(
      (d) => {
        (d.vms[vm.address] ??= { stages: {} }).stages[action.stage] = record;
      },
      {
        event: 'stage-done',
        vm: vm.address,
        stage: action.stage,
        plan_hash: opts.planHash,
        details: { input_hash: action.input_hash, outputs },
      },
    );
    emit({
      kind: 'stage-done',
      vm: vm.address,
      stage: action.stage,
      seconds: (Date.now() - started.getTime()) / 1000,
      ...(note ? { note } : {}),
    });
  }

  async function runStage(
    action: Action,
  ): Promise<{ outputs: OutputRecord[]; note?: string; details?: Record<string, unknown> }> {
    const step = (message: string) => emit({ kind: 'stage-step', vm: vm.address, stage: action.stage, message });
    switch (action.stage) {
      case 'fetch': {
        const source = config.sources[vm.source.address] as VsphereSourceConfig;
        return fetchVm({
          source,
          inventory: facts.inventory!,
          disks: facts.disks,
          fingerprint: vm.source.fingerprint,
          policy: cfgVm.policy,
          dir: ws.fetchDir,
          configDir: config.dir,
          onStep: step,
        });
      }
      case 'flatten':
        // A fetched chain passes the same hostile-layout checks as a local one before qemu reads it.
        if (vm.source.type === 'vsphere') resolveChain(entry.path, { allowAbsolute: false });
        await createOverlay(ws.overlay, entry);
        return { outputs: [] };
      case 'inspect':
        await checkFingerprint(config, vm);
        return {
          outputs: [],
          note: vm.source.type === 'vsphere' ? 'fetched chain intact' : 'source unchanged since the plan',
        };
      case 'plan':
        return { outputs: [], note: `plan ${opts.planHash.slice(0, 12)}` };
      case 'fix': {
        const r = await runFix({
          overlay: ws.overlay,
          source: entry,
          guest: facts.guest,
          edits: action.edits ?? [],
          onStep: step,
        });
        return {
          outputs: [],
          note: `${action.edits?.length ?? 0} change(s), ${r.launches} libguestfs launch`,
          details: { libguestfs_launches: r.launches },
        };
      }
      case 'convert': {
        if (!existsSync(ws.overlay))
          throw Object.assign(new Error('the fixed overlay is missing'), {
            hint: 'run h2k apply -replace ' + vm.address + ' to redo this VM from the start',
          });
        await convertImage({
          overlay: ws.overlay,
          out: ws.outDisk,
          format: vm.outputs.disk.format as 'qcow2' | 'raw',
          compress: cfgVm.policy.compress,
        });
        return { outputs: [await outputRecord(ws.outDisk, config.dir)] };
      }
      case 'validate': {
        const problem = await checkImage(ws.outDisk, vm.outputs.disk.format);
        if (problem) throw new Error(`qemu-img check found a problem in ${ws.outDisk}: ${problem}`);
        let details: Record<string, unknown> = {};
        let note = 'qemu-img check clean';
        if (cfgVm.policy.boot_test) {
          step(`booting ${vm.outputs.disk.path} on a throwaway overlay`);
          const v = await bootTest({
            image: ws.outDisk,
            format: vm.outputs.disk.format,
            hw: facts.hardware,
            timeoutSec: cfgVm.policy.boot_timeout,
            workDir: ws.dir,
          });
          details = {
            boot_test: {
              passed: v.passed,
              seconds: Number(v.seconds.toFixed(1)),
              checks: v.checks,
              lease: v.lease,
              accel: v.accel,
            },
          };
          if (!v.passed)
            throw Object.assign(new Error(`boot test failed: ${v.failure}`), { hint: `serial log: ${v.serialLog}` });
          note = `boot test passed in ${v.seconds.toFixed(0)} s (${v.accel}): systemd target, root written, DHCP lease ${v.lease}`;
        }
        const xml = domainXml({
          name: vmSlug(vm.address),
          disk: ws.outDisk,
          format: vm.outputs.disk.format,
          hw: facts.hardware,
        });
        writeFileSync(ws.outXml, xml);
        const validator = findTool('virt-xml-validate');
        if (validator) {
          const r = await execa(validator, [ws.outXml, 'domain'], { reject: false });
          if (r.exitCode !== 0)
            throw new Error(`libvirt rejects the domain XML: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
        }
        return { outputs: [await outputRecord(ws.outXml, config.dir)], note, details };
      }
    }
  }
}
