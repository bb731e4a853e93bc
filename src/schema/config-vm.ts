// The configured vm a plan's VM address belongs to: itself, or for an instance of a discovering
// vm (vm.lab["web-1"]), its block with the discovered name as the selector.
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
