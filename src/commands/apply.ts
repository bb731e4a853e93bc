import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Args, Flags } from '@oclif/core';
import { applyWithListr } from '../cli/apply-progress.js';
import { H2kCommand } from '../cli/base-command.js';
import { buildPlan } from '../operations/plan.js';
import { acceptDrift, refreshOnly, renderDrift } from '../operations/refresh-only.js';
import { varFlags, varInputs } from '../cli/config-flags.js';
import { EXIT, UserError } from '../util/errors.js';
import { loadOrFail, selectTargets } from '../cli/load-or-fail.js';
import { targetFlags } from '../cli/plan-flags.js';
import { type ApplyEvent, StageError, applyVm, checkFingerprint } from '../operations/apply-vm.js';
import { blockingFindings, hasChanges, planHash } from '../model/plan-helpers.js';
import { readPlanFile } from '../operations/plan-file.js';
import { renderPlanText } from '../render/plan-text.js';
import type { Plan, VmPlan } from '../model/plan.js';
import { mapLimit } from '../operations/gather.js';
import { configHash } from '../schema/config-hash.js';
import { StateLock } from '../state/local/lock.js';
import { StateStore } from '../state/local/state-file.js';

export default class Apply extends H2kCommand {
  static override summary = 'Perform a plan: fix, convert and validate each VM.';
  static override description = `With a plan file (from \`h2k plan -out FILE\`), applies exactly that plan, after checking it is
not stale: same configuration, same state serial and lineage, and sources unchanged since planning.
With a directory, plans first, shows the plan and asks for confirmation (-auto-approve skips it).

Stages run in order FETCH → FLATTEN → INSPECT → PLAN → FIX → CONVERT → VALIDATE; each completed
stage is recorded in .h2k/state.json, so an interrupted apply continues where it stopped. The
source disks are only ever read.

Exit status: 0 all done; 1 error (the failing VM and stage are named).`;
  static override examples = [
    { description: 'Apply a reviewed plan file', command: '<%= config.bin %> apply plan.json' },
    {
      description: 'Plan and apply in one go, without a prompt (CI)',
      command: '<%= config.bin %> apply examples -auto-approve',
    },
    {
      description: 'Redo one VM from its first stage',
      command: '<%= config.bin %> apply examples -replace vm.debian -auto-approve',
    },
  ];
  static override args = {
    target: Args.string({ description: 'A configuration directory, or a plan file.', default: '.' }),
  };
  static override flags = {
    ...varFlags,
    ...targetFlags,
    'auto-approve': Flags.boolean({
      description: 'Apply without asking (needed without a terminal when no plan file is given).',
    }),
    'lock-timeout': Flags.string({ description: 'Wait this long for the state lock, e.g. 30s or 5m.', default: '0s' }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Apply);
    const inputs = varInputs(raw);
    const fromFile = existsSync(args.target) && statSync(args.target).isFile();
    let filePlan: Plan | undefined;
    let configDir = args.target;
    if (fromFile) {
      const { config_dir: rel, ...parsed } = readPlanFile(args.target);
      configDir = resolve(dirname(args.target), rel ?? '.');
      filePlan = parsed;
    }

    const config = loadOrFail(configDir, inputs);
    const lock = await StateLock.acquire(config.dir, 'apply', parseDuration(flags['lock-timeout']));
    const cleanup = () => lock.release();
    // An interrupted apply releases its lock; its state holds every stage completed so far.
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      process.once(sig, () => {
        cleanup();
        process.exit(code);
      });
    }
    try {
      const state = await StateStore.open(config.dir);
      const p = this.paint();
      if (flags['refresh-only']) {
        if (filePlan)
          throw new UserError(
            '-refresh-only takes a configuration directory, not a plan file',
            `h2k apply -refresh-only ${config.dir}`,
          );
        const drift = await refreshOnly(config, state);
        this.out(renderDrift(drift));
        if (drift.length === 0) return;
        if (!flags['auto-approve'])
          await confirm('Update the state to match?', 'pass -auto-approve', 'the state was not changed');
        const n = await acceptDrift(state, drift);
        this.out(
          `The state now matches what is on disk (${n} record(s) forgotten, serial ${state.data.serial}). No file was touched.`,
        );
        return;
      }
      let plan: Plan;
      if (filePlan) {
        plan = filePlan;
        if (plan.config_hash !== configHash(config))
          throw new UserError(
            'the plan is stale: the configuration changed since it was made',
            'plan again: h2k plan -out FILE',
          );
        const lineage = state.data.serial === 0 ? null : state.data.lineage;
        if (plan.state.serial !== state.data.serial || plan.state.lineage !== lineage)
          throw new UserError(
            `the plan is stale: it was made against state serial ${plan.state.serial}, the state is now at serial ${state.data.serial}${plan.state.lineage !== null && plan.state.lineage !== lineage ? ' of another lineage' : ''}`,
            'another apply ran since; plan again',
          );
        for (const vm of Object.values(plan.vms)) await checkFingerprint(config, vm);
      } else {
        const vms = selectTargets(config, flags.target);
        plan = await buildPlan(config, vms, state, {
          parallelism: flags.parallelism,
          progress: (m) => this.err(p.dim(m)),
          replace: flags.replace,
          targets: flags.target,
        });
        this.out(renderPlanText(plan, p));
      }
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
          `${blocking.length} critical finding(s) block this apply: ${blocking.map((b) => `${b.vm} [${b.code}]`).join(', ')}`,
          "fix the cause, or add the code to the policy's acknowledge list",
        );
      if (!hasChanges(plan)) {
        this.out(p.green('Nothing to do.'));
        return;
      }
      if (!fromFile && !flags['auto-approve'])
        await confirm(
          'Do you want to perform these actions?',
          'pass -auto-approve, or apply a reviewed plan file',
          'nothing was changed',
        );
      const hash = planHash(plan);
      const vms = Object.values(plan.vms).filter((v) => v.actions.length);
      await state.audit({
        event: 'apply-started',
        plan_hash: hash,
        details: { vms: vms.map((v) => v.address), from_plan_file: fromFile },
      });
      const runVm = async (vm: VmPlan, emit: (e: ApplyEvent) => void): Promise<StageError | undefined> => {
        try {
          await applyVm({ config, vm, planHash: hash, state, emit });
          return undefined;
        } catch (err) {
          if (err instanceof StageError) return err;
          throw err;
        }
      };
      const results = process.stderr.isTTY
        ? await applyWithListr(vms, flags.parallelism, runVm)
        : await mapLimit(vms, flags.parallelism, (vm) => runVm(vm, (e) => this.reportEvent(e)));
      const failed = results.filter((r): r is StageError => r !== undefined);
      await state.audit({
        event: 'apply-finished',
        plan_hash: hash,
        details: { ok: failed.length === 0, failed: failed.map((f) => `${f.vm}:${f.stage}`) },
      });
      if (failed.length) {
        for (const f of failed)
          this.err(`${p.red('Error:')} ${f.vm}: ${f.stage} failed: ${f.message}\n  ${p.dim('hint:')} ${f.hint}`);
        this.exitWith(EXIT.error);
      }
      this.out(p.green(`Apply complete: ${vms.length} VM(s) converted.`));
      for (const vm of vms) this.out(`  ${vm.address}: ${vm.outputs.disk.path}, ${vm.outputs.domain_xml.path}`);
    } finally {
      cleanup();
    }
  }

  private reportEvent(e: ApplyEvent): void {
    const p = this.paint(process.stderr);
    const at = `${e.vm}: ${e.stage}`;
    switch (e.kind) {
      case 'stage-start':
        this.err(`${at}: started`);
        break;
      case 'stage-step':
        this.err(p.dim(`${at}: ${e.message}`));
        break;
      case 'stage-done':
        this.err(`${at}: ${p.green('done')} in ${e.seconds.toFixed(1)} s${e.note ? ` (${e.note})` : ''}`);
        break;
      case 'stage-failed':
        this.err(`${at}: ${p.red('failed')}: ${e.error}`);
        break;
    }
  }
}

function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UserError(`-lock-timeout ${s} is not a duration`, 'use a number with s, m or h, like 30s or 5m');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
}

/** Asks on the terminal; only "yes" proceeds. Without a terminal there is nobody to ask. */
async function confirm(question: string, noTtyHint: string, cancelled: string): Promise<void> {
  if (!process.stdin.isTTY) throw new UserError('this needs confirmation, and there is no terminal to ask', noTtyHint);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} Only 'yes' will be accepted: `);
  rl.close();
  if (answer.trim() !== 'yes') throw new UserError('cancelled', cancelled);
}
