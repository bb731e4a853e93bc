// Loading the configuration for commands that act on it: diagnostics printed, exit 1 on errors.
import { UserError } from '../util/errors.js';
import { printDiagnostics } from './diagnostics.js';
import type { Config } from '../schema/config.js';
import type { VarInput } from '../schema/inputs.js';
import { loadConfig } from '../schema/load.js';
import { SOURCE_SCHEMAS } from '../providers/registry.js';

export function loadOrFail(dir: string, inputs: VarInput[]): Config {
  const r = loadConfig({ dir, inputs, sourceTypes: SOURCE_SCHEMAS });
  printDiagnostics(r.diagnostics, r.files);
  if (!r.config)
    throw new UserError(
      'the configuration is invalid',
      `fix the errors above; \`h2k validate ${dir}\` checks without planning`,
    );
  return r.config;
}
