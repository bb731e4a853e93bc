// Bootloader modules, in detection order.
import type { BootloaderModule, FixContext, FixResult } from '../modules.js';
import { grub2 } from './grub2.js';

export const BOOTLOADERS: BootloaderModule[] = [grub2];

export function planBootloader(ctx: FixContext): FixResult {
  const module = BOOTLOADERS.find((m) => m.name === ctx.guest.bootloader.kind);
  if (module?.plan && ctx.guest.bootloader.config) return module.plan(ctx);
  const message = 'no GRUB 2 configuration found: the kernel command line cannot be checked or fixed';
  return { edits: [], findings: [{ code: 'unknown-bootloader', severity: 'critical', message }] };
}
