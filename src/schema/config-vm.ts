// The configured vm a plan's VM address belongs to: itself, or for an instance of a discovering
// vm (vm.lab["web-1"]), its block with the discovered name as the selector; and -target selection.
import { UserError } from '../util/errors.js';
import type { Config, VmConfig } from './config.js';

export function configVm(config: Config, address: string): VmConfig {
  const exact = config.vms.find((v) => v.address === address);
  if (exact) return exact;
  const template = config.vms.find((v) => v.discover && address.startsWith(`${v.address}[`));
  if (!template) throw new UserError(`${address} is not in the configuration any more`, 'plan again');
  const { discover: _d, ...rest } = template;
  return { ...rest, address };
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

/** Whether an address is, or is an instance of, one of the given addresses. */
export function addressIn(address: string, list: string[] | undefined): boolean {
  return !!list?.some((t) => address === t || address.startsWith(`${t}[`));
}
