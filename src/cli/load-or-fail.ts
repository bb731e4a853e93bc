// Loading the configuration for commands that act on it: diagnostics printed, exit 1 on errors.
import { UserError } from '../util/errors.js';
import { paintFor } from '../render/paint.js';
import { renderDiagnostics } from '../render/diagnostics.js';
import type { Config } from '../schema/config.js';
import type { VarInput } from '../schema/inputs.js';
import { loadConfig } from '../schema/load.js';

export function loadOrFail(dir: string, inputs: VarInput[]): Config {
  const r = loadConfig({ dir, inputs });
  if (r.diagnostics.length)
    process.stderr.write(`${renderDiagnostics(r.diagnostics, r.files, paintFor(process.stderr))}\n`);
  if (!r.config)
    throw new UserError(
      'the configuration is invalid',
      `fix the errors above; \`h2k validate ${dir}\` checks without planning`,
    );
  return r.config;
}

/** -target vm.NAME selects that VM (and all instances of a for_each vm); vm.NAME["x"] of a
 *  discovering vm selects its discovery, narrowed to that instance once the inventory is read. */
export function selectTargets(config: Config, targets: string[] | undefined): Config['vms'] {
  if (!targets?.length) return config.vms;
  const matches = (v: Config['vms'][number], t: string) =>
    v.address === t || v.address.startsWith(`${t}[`) || (v.discover !== undefined && t.startsWith(`${v.address}[`));
  for (const t of targets) {
    if (!config.vms.some((v) => matches(v, t)))
      throw new UserError(
        `-target ${t} matches no vm in the configuration`,
        `addresses look like vm.NAME or vm.NAME["key"]; known: ${config.vms.map((v) => v.address).join(', ')}`,
      );
  }
  return config.vms.filter((v) => targets.some((t) => matches(v, t)));
}
