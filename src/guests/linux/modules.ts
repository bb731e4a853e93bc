// The shape of Linux's pluggable parts: bootloader, initramfs tool and network backend each have a
// registry (bootloader/, initramfs/, network/) of modules like these. A module without `plan` is
// recognised and reported but not fixed yet.
import type { GuestFile, LinuxGuestFacts } from '../../model/guest-facts.js';
import type { NicBinding, NicIntent } from '../../model/guest-network.js';
import type { GuestEdit, RawFinding } from '../../model/plan.js';
import type { PolicySettings } from '../../schema/config-schema.js';

/** What detection may look at: the files inspection read, and whether a path exists. */
export interface GuestProbe {
  files: Record<string, GuestFile>;
  exists(path: string): Promise<boolean>;
}

/** Fixers are pure: facts + policy in, edits + findings out. */
export interface FixContext {
  guest: LinuxGuestFacts;
  policy: PolicySettings;
  /** The KVM NICs, in order, that network configurations bind to. */
  nics: NicBinding[];
}

export interface FixResult {
  edits: GuestEdit[];
  findings: RawFinding[];
  /** Network modules: the interfaces the guest configures, as they will be after FIX. */
  network?: NicIntent[];
}

export interface LinuxModule<P extends unknown[] = []> {
  name: string;
  detect(probe: GuestProbe): Promise<boolean>;
  plan?(ctx: FixContext, ...args: P): FixResult;
}

export const nothing = (): FixResult => ({ edits: [], findings: [] });

/** A write edit, or nothing when the content does not change (idempotence); `before` undefined: a new file. */
export function rewrite(path: string, before: string | undefined, after: string, reason: string): GuestEdit[] {
  if (before === after) return [];
  return [
    { kind: 'write', path, before: before ?? '', after, reason, ...(before === undefined ? { create: true } : {}) },
  ];
}

/** The guest's files as they will be once `edits` are done (writes and deletes). */
export function afterEdits(files: Record<string, GuestFile>, edits: GuestEdit[]): Record<string, GuestFile> {
  const out = { ...files };
  for (const e of edits) {
    if (e.kind === 'write') out[e.path] = { kind: 'file', text: e.after };
    else if (e.kind === 'delete') delete out[e.path];
  }
  return out;
}

/** The first module that recognises the guest, by registry order. */
export async function detect<M extends LinuxModule<never[]>>(modules: M[], probe: GuestProbe): Promise<M | undefined> {
  for (const m of modules) if (await m.detect(probe)) return m;
  return undefined;
}

export interface BootloaderModule extends LinuxModule {
  /** The configuration file holding the kernel command lines, among the files inspection read. */
  config(files: Record<string, GuestFile>): string | undefined;
  /** That file with the kernel's console also on the first serial port (for a boot test's copy only). */
  withSerialConsole?(text: string): string;
}

/** Given the virtio modules the initramfs must load (not built into the kernel). */
export type InitramfsModule = LinuxModule<[modules: string[]]>;

export interface NetworkModule extends LinuxModule {
  /** PURE: the interfaces the guest's files configure, as they are. */
  read?(files: Record<string, GuestFile>): NicIntent[];
}
