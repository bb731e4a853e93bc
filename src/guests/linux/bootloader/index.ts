// Bootloader modules, in detection order.
import type { BootloaderModule, FixContext, FixResult } from '../modules.js';
import { grub2 } from './grub2.js';
import { planFallbackLoader } from './uefi-fallback.js';

export const BOOTLOADERS: BootloaderModule[] = [grub2];

export function planBootloader(ctx: FixContext): FixResult {
  const module = BOOTLOADERS.find((m) => m.name === ctx.guest.bootloader.kind);
  if (module?.plan && ctx.guest.bootloader.config) {
    const result = module.plan(ctx);
    const fallback = planFallbackLoader(ctx);
    return { edits: [...result.edits, ...fallback.edits], findings: [...result.findings, ...fallback.findings] };
  }
  const message = 'no GRUB 2 configuration found: the kernel command line cannot be checked or fixed';
  return { edits: [], findings: [{ code: 'unknown-bootloader', severity: 'critical', message }] };
}
