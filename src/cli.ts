// Entry point: normalise Terraform-style flags, then hand over to oclif.
import { Errors, flush, run as oclifRun } from '@oclif/core';
import { normalizeArgv } from './cli/argv.js';

// oclif takes the commands from the file package.json names (oclif.commands): the bundle of this one.
export { COMMANDS } from './commands/index.js';

export async function run(argv: string[]): Promise<void> {
  try {
    await oclifRun(normalizeArgv(argv), import.meta.url);
    await flush();
  } catch (err) {
    if (err instanceof Errors.ExitError) {
      process.exitCode = err.oclif.exit;
      return;
    }
    // Failures before a command runs: unknown command, bad flags at the top level.
    const e = err as Error;
    process.stderr.write(`Error: ${e.message.split('\n')[0]}\n  hint: run \`h2k --help\` to list the commands.\n`);
    if (argv.includes('--debug') && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
}
