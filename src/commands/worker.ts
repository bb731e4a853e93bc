import { Flags } from '@oclif/core';
import { eventLine, throttledProgress } from '../cli/apply-progress.js';
import { parseDuration } from '../cli/argv.js';
import { H2kCommand } from '../cli/base-command.js';
import { dirArg, varFlags, varInputs } from '../cli/config-flags.js';
import { loadOrFail } from '../cli/load-or-fail.js';
import { backendFor } from '../cli/state.js';
import { recordInterrupted } from '../operations/apply-vm.js';
import { runWorker } from '../operations/fleet.js';
import { PgBackend } from '../state/pg/backend.js';
import { FleetQueue } from '../state/pg/queue.js';
import { UserError } from '../util/errors.js';

export default class Worker extends H2kCommand {
  static override summary = 'Convert VMs handed out by `h2k apply -workers`, on this host, until stopped.';
  static override description = [
    'Run it on every conversion host, with the same configuration (files and variables) as the apply: ' +
      "a job whose plan was made from another configuration is refused, naming both hashes. Each VM's " +
      "stages run here and every completed stage is recorded in the pg backend, with this host's name. " +
      'A worker that dies (even by SIGKILL) leaves its VM to another worker once the job expires (apply ' +
      "-job-expiry), which resumes at the first stage not recorded done. Outputs go to the policy's " +
      'output_dir: in a fleet that must be storage every host shares (NFS), and so must the ' +
      "configuration directory's .h2k/ for a VM to resume on another host without redoing its first " +
      'stages.',
    'SIGINT/SIGTERM records the stages in progress as interrupted and stops.',
  ].join('\n\n');
  static override examples = [
    {
      description: 'Two VMs at a time on this host',
      command: 'H2K_VAR_pg_conn=postgres://h2k:…@db/h2k <%= config.bin %> worker examples -concurrency 2',
    },
    {
      description: 'Stop once the queue has been empty for a minute (a batch job)',
      command: '<%= config.bin %> worker examples -idle-exit 1m',
    },
  ];
  static override args = dirArg;
  static override flags = {
    ...varFlags,
    concurrency: Flags.integer({ description: 'VMs converted at once on this host.', default: 1, min: 1 }),
    'idle-exit': Flags.string({
      description: 'Stop after this long without a job (default: run until stopped).',
      helpValue: 'DURATION',
    }),
  };

  async run(): Promise<void> {
    const { args, flags, raw } = await this.parse(Worker);
    const config = loadOrFail(args.dir, varInputs(raw));
    const backend = backendFor(config);
    if (!(backend instanceof PgBackend))
      throw new UserError(
        'a worker needs a shared state backend; this configuration keeps its state in local files',
        'add backend "pg" { conn_str = var.pg_conn } to the configuration every host uses',
      );
    const idleMs = flags['idle-exit'] ? parseDuration(flags['idle-exit'], '-idle-exit') : 0;
    const p = this.paint(process.stderr);
    const queue = new FleetQueue(backend, {
      onError: (err) => this.debugMode && this.err(p.dim(`queue: ${err.message}`)),
    });
    let busy = 0;
    let last = Date.now();
    const stopped = new Promise<number>((resolve) => {
      for (const [sig, code] of [
        ['SIGINT', 130],
        ['SIGTERM', 143],
      ] as const)
        process.once(sig, () => {
          this.err(`${sig}: stopping (the stages in progress are recorded as interrupted)`);
          void recordInterrupted(sig).finally(() => resolve(code));
        });
      if (idleMs) setInterval(() => busy === 0 && Date.now() - last >= idleMs && resolve(0), 1000).unref();
    });
    await runWorker(config, queue, flags.concurrency, {
      claimed: (vm, job) => {
        busy++;
        this.err(`${vm}: taken (job ${job})`);
      },
      event: throttledProgress((e) => this.err(eventLine(e, p))),
      waiting: (vm, why) => this.err(p.dim(`${vm}: waiting: ${why}`)),
      finished: (vm, r) => {
        busy = Math.max(0, busy - 1);
        last = Date.now();
        const said =
          r.outcome === 'done'
            ? p.green('converted')
            : `${p.red(r.outcome)}: ${r.message}\n  ${p.dim('hint:')} ${r.hint}`;
        this.err(`${vm}: ${said}`);
      },
    });
    const until = idleMs ? `, until idle for ${flags['idle-exit']}` : '';
    this.err(`worker on ${backend.location}: ${flags.concurrency} at a time${until}`);
    const code = await stopped;
    await queue.stop();
    await backend.close();
    process.exitCode = code;
  }
}
