import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Args, Flags } from '@oclif/core';
import { applyWithListr, eventLine, throttledProgress } from '../cli/apply-progress.js';
import { parseDuration } from '../cli/argv.js';
import { H2kCommand } from '../cli/base-command.js';
import { varFlags, varInputs } from '../cli/config-flags.js';
import { loadOrFail } from '../cli/load-or-fail.js';
import { targetFlags } from '../cli/plan-flags.js';
import { withBackend } from '../cli/state.js';
import { STAGES, type Stage } from '../model/plan.js';
import { apply } from '../operations/apply.js';
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

With -until STAGE each VM stops once that stage is recorded done (e.g. -until flatten: the disks copied
ahead of a cutover window); the next apply of the directory goes on from the stage after it, and
INSPECT there refuses a source that changed since.

With -workers (needs backend "pg"), the VMs go to the fleet's queue instead: run \`h2k worker\` on each
conversion host; this command follows them with the same progress and exit status.

Exit status: 0 all done; 1 error (the failing VM and stage are named).`;
  static override examples = [
    { description: 'Apply a reviewed plan file', command: '<%= config.bin %> apply plan.json' },
    {
      description: 'Plan and apply in one go, without a prompt (CI)',
      command: '<%= config.bin %> apply examples -auto-approve',
    },
    {
      description: 'Copy the disks now (FETCH, FLATTEN); fix, convert and validate later with a plain apply',
      command: '<%= config.bin %> apply examples -until flatten -auto-approve',
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
    until: Flags.string({
      description: 'Stop each VM after this stage; a later apply goes on from the next one.',
      options: [...STAGES],
    }),
    workers: Flags.boolean({
      description:
        'Hand each VM to the fleet (h2k worker on any host, same configuration) through the pg backend, and ' +
        'follow them here; needs backend "pg".',
    }),
    'source-limit': Flags.integer({
      description: 'With -workers: at most N VMs of one source in flight across the fleet (0: no limit).',
      default: 0,
      min: 0,
    }),
    'job-expiry': Flags.string({
      description:
        'With -workers: a VM whose worker has not been heard from for this long (it died) goes to another worker, ' +
        'which resumes at the first stage not recorded done.',
      default: '2m',
    }),
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
    const make = {
      mode,
      parallelism: flags.parallelism,
      inspectBatch: flags['inspect-batch'],
      replace: flags.replace,
      targets: flags.target,
    } as const;
    const approve = flags['auto-approve'];
    const result = await withBackend(config, (backend) =>
      apply(
        config,
        backend,
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
          // With -workers every VM is in flight at once: the workers' own concurrency limits them.
          schedule: (vms, runVm) => {
            const inFlight = flags.workers ? vms.length : flags.parallelism;
            return process.stderr.isTTY
              ? applyWithListr(vms, inFlight, runVm)
              : mapLimit(vms, inFlight, (vm) =>
                  runVm(
                    vm,
                    throttledProgress((e) => this.err(eventLine(e, this.paint(process.stderr)))),
                  ),
                );
          },
        },
        parseDuration(flags['lock-timeout'], '-lock-timeout'),
        flags.workers
          ? {
              sourceLimit: flags['source-limit'],
              expireInSeconds: Math.max(10, Math.round(parseDuration(flags['job-expiry'], '-job-expiry') / 1000)),
              retryLimit: 3,
            }
          : undefined,
        flags.until as Stage | undefined,
      ),
    );
    if (this.debugMode) this.err(`libguestfs launches: ${GuestfishSession.launches}`);
    switch (result.kind) {
      case 'nothing':
        if (mode === 'normal' || saved)
          this.out(p.green(flags.until ? `Nothing to do up to ${flags.until.toUpperCase()}.` : 'Nothing to do.'));
        return;
      case 'refreshed':
        this.out(
          `The state now matches what is on disk (${result.forgotten} record(s) forgotten, serial ` +
            `${result.serial}). No file was touched.`,
        );
        return;
      case 'applied':
        if ('problem' in result.reports)
          this.err(`${p.yellow('warning:')} no report written: ${result.reports.problem}`);
        else
          for (const r of result.reports)
            this.err(`Report: ${relative(process.cwd(), join(config.dir, r.path))} (${r.vms} VM(s))`);
        if (result.failed.length) {
          for (const f of result.failed)
            this.err(`${p.red('Error:')} ${f.vm}: ${f.stage} failed: ${f.message}\n  ${p.dim('hint:')} ${f.hint}`);
          this.exitWith(EXIT.error);
        }
        if (flags.until) {
          this.out(
            p.green(`Apply stopped after ${flags.until.toUpperCase()} as asked (-until): ${result.vms.length} VM(s).`),
          );
          this.out('  h2k apply (the directory) goes on from the next stage.');
          return;
        }
        this.out(p.green(`Apply complete: ${result.vms.length} VM(s) converted.`));
        for (const vm of result.vms)
          this.out(`  ${vm.address}: ${[...vm.outputs.disks, ...vm.outputs.files].map((f) => f.path).join(', ')}`);
    }
  }
}

/** Asks on the terminal; only "yes" proceeds. Without a terminal there is nobody to ask. */
async function confirm(question: string, noTtyHint: string, cancelled: string): Promise<void> {
  if (!process.stdin.isTTY) throw new UserError('this needs confirmation, and there is no terminal to ask', noTtyHint);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} Only 'yes' will be accepted: `);
  rl.close();
  if (answer.trim() !== 'yes') throw new UserError('cancelled', cancelled);
}
