// PURE: findings the planner itself raises, whatever the source and guest.
import type { RawFinding } from '../model/plan.js';

/** The disks (plus the fetched copy, for sources that FETCH) must fit where apply writes them. */
export function spaceFinding(needBytes: number, freeBytes: number | undefined, where: string): RawFinding | undefined {
  if (freeBytes === undefined || needBytes <= freeBytes) return undefined;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  return {
    code: 'insufficient-space',
    severity: 'critical',
    message: `apply needs up to ${mib(needBytes)} in ${where} but only ${mib(freeBytes)} is free`,
  };
}
