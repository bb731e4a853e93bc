// Shared behaviour of every command: --debug and --no-color, and the single place where failures
// become one clear line plus a hint (a stack trace only with --debug).
import { Command, Errors, Flags } from '@oclif/core';
import { EXIT, UserError } from '../util/errors.js';
import { ConfigurationError } from '../schema/diagnostics.js';
import { printDiagnostics } from './diagnostics.js';
import { type Paint, paintFor } from '../render/paint.js';

export abstract class H2kCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Print stack traces and tool command lines on failure.', helpGroup: 'GLOBAL' }),
    'no-color': Flags.boolean({
      description: 'Plain output even in a terminal (also: NO_COLOR=1).',
      helpGroup: 'GLOBAL',
    }),
  };

  protected debugMode = process.argv.includes('--debug');

  protected paint(stream: NodeJS.WriteStream = process.stdout): Paint {
    return paintFor(stream);
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected err(text: string): void {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected exitWith(code: number): never {
    // oclif's exit throws; process.exitCode keeps buffered stdout intact.
    process.exitCode = code;
    throw new Errors.ExitError(code);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit;
      return;
    }
    const p = this.paint(process.stderr);
    if (err instanceof ConfigurationError) printDiagnostics(err.diagnostics);
    if (err instanceof UserError) {
      this.err(`${p.red('Error:')} ${err.message}`);
      if (err.hint) this.err(`  ${p.dim('hint:')} ${err.hint}`);
      if (this.debugMode && err.stack) this.err(err.stack);
      process.exitCode = err.exitCode;
      return;
    }
    // oclif's own parse errors (unknown flag, missing arg) are user errors too.
    if (err instanceof Errors.CLIError) {
      this.err(`${p.red('Error:')} ${err.message.split('\n')[0]}`);
      this.err(`  ${p.dim('hint:')} run \`h2k ${this.id?.replace(/:/g, ' ') ?? ''} --help\` for usage.`);
      process.exitCode = EXIT.error;
      return;
    }
    this.err(`${p.red('Error:')} internal error: ${err.message}`);
    this.err(
      this.debugMode
        ? (err.stack ?? '')
        : `  ${p.dim('hint:')} this is a bug in h2k; run again with --debug for the stack trace and report it.`,
    );
    process.exitCode = EXIT.error;
  }
}
