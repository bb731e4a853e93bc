// An operating system no family handles: reported, never fixed.
import type { UnknownGuestFacts } from '../model/guest-facts.js';
import type { GuestFamily } from './family.js';

export const unknown: GuestFamily<UnknownGuestFacts> = {
  family: 'unknown',
  handles: () => false,
  async inspect(_g, base) {
    return {
      family: 'unknown',
      os: base.os,
      firmware: 'bios',
      partition_table: base.partition_table,
      filesystems: base.filesystems,
    };
  },
  plan(guest) {
    if (guest.locked?.length) {
      const [first] = guest.locked;
      const message =
        `no system found outside encrypted volumes (${guest.locked.join(', ')}: LUKS); give each passphrase ` +
        `in the vm block, luks_keys = { "${first}" = var.<name> } with a variable declared sensitive`;
      return { edits: [], findings: [{ code: 'luks-root', severity: 'critical', message }] };
    }
    const { type, distro } = guest.os;
    const message = `the guest OS is not recognised (type ${type}, distro ${distro}); h2k cannot plan its fixes`;
    return { edits: [], findings: [{ code: 'unknown-guest', severity: 'critical', message }] };
  },
  fixMounts: () => [],
  fixWriteBytes: () => 0, // nothing is fixed
  // No probe: such guests are refused at plan time, before any boot test.
  prepareBoot: async () => undefined,
  boot: { failures: [] },
};
