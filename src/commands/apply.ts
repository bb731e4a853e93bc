import { existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Args, Flags } from '@oclif/core';
import { applyWithListr } from '../cli/apply-progress.js';
import { H2kCommand } from '../cli/base-command.js';
import { varFlags, varInputs } from '../cli/config-flags.js';
import { loadOrFail } from '../cli/load-or-fail.js';
import { targetFlags } from '../cli/plan-flags.js';
import { backendFor } from '../cli/state.js';
import { apply } from '../operations/apply.js';
import type { ApplyEvent } from '../operations/apply-vm.js';
import { readPlanFile } from '../operations/plan-file.js';
import { renderDrift } from '../render/drift.js';
import { renderPlanText } from '../render/plan-text.js';
import { GuestfishSession } from '../tools/guestfish.js';
import { EXIT, UserError } from '../util/errors.js';
import { mapLimit } from '../util/map-limit.js';

export default class Apply extends H2kCommand {
  static override summary = 'Perform a plan: fix, convert and validate each VM.';
  static override description = `With a plan file (from \`h2k plan -out FILE\`), applies exactly that plan, after
checking it is
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
    const fromFile = existsSync(args.target) && statSync(args.target).isFile();
    const saved = fromFile ? readPlanFile(args.target) : undefined;
    if (saved && flags['refresh-only'])
      throw new UserError(
        '-refresh-only takes a configuration directory, not a plan file',
        `a plan file made with h2k plan -refresh-only -out FILE is applied as it is: h2k apply FILE`,
      );
    const config = loadOrFail(saved?.configDir ?? args.target, varInputs(raw));
    const p = this.paint();
    const mode = flags['refresh-only'] ? 'refresh-only' : 'normal';
    const make = { mode, parallelism: flags.parallelism, replace: flags.replace, targets: flags.target } as const;
    const approve = flags['auto-approve'];
    const result = await apply(
      config,
      backendFor(config.dir),
      saved ? { saved: saved.plan } : { make },
      {
        progress: (m) => this.err(this.paint(process.stderr).dim(m)),
        show: (plan) => this.out(plan.mode === 'refresh-only' ? renderDrift(plan.drift) : renderPlanText(plan, p)),
        confirm: async (plan) => {
          if (approve) return;
          if (plan.mode === 'refresh-only')
            await confirm('Update the state to match?', 'pass -auto-approve', 'the state was not changed');
          else
            await confirm(
              'Do you want to perform these actions?',
              'pass -auto-approve, or apply a reviewed plan file',
              'nothing was changed',
            );
        },
        schedule: (vms, runVm) =>
          process.stderr.isTTY
            ? applyWithListr(vms, flags.parallelism, runVm)
            : mapLimit(vms, flags.parallelism, (vm) => runVm(vm, (e) => this.reportEvent(e))),
      },
      parseDuration(flags['lock-timeout']),
    );
    if (this.debugMode) this.err(`libguestfs launches: ${GuestfishSession.launches}`);
    switch (result.kind) {
      case 'nothing':
        if (mode === 'normal' || saved) this.out(p.green('Nothing to do.'));
        return;
      case 'refreshed':
        this.out(
          `The state now matches what is on disk (${result.forgotten} record(s) forgotten, serial ` +
            `${result.serial}). No file was touched.`,
        );
        return;
      case 'applied':
        if (result.failed.length) {
          for (const f of result.failed)
            this.err(`${p.red('Error:')} ${f.vm}: ${f.stage} failed: ${f.message}\n  ${p.dim('hint:')} ${f.hint}`);
          this.exitWith(EXIT.error);
        }
        this.out(p.green(`Apply complete: ${result.vms.length} VM(s) converted.`));
        for (const vm of result.vms)
          this.out(
            `  ${vm.address}: ${[...vm.outputs.disks.map((d) => d.path), vm.outputs.domain_xml.path].join(', ')}`,
          );
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
