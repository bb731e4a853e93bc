// Windows guests: detected and reported. Everything Windows lives in this folder (sealed module);
// injecting virtio drivers and fixing the registry offline is its own piece of work.
import type { WindowsGuestFacts } from '../../model/guest-facts.js';
import type { GuestFamily } from '../family.js';

export const windows: GuestFamily<WindowsGuestFacts> = {
  family: 'windows',
  handles: (osType) => osType === 'windows',
  async inspect(_g, base) {
    return {
      family: 'windows',
      os: base.os,
      firmware: 'bios',
      partition_table: base.partition_table,
      filesystems: base.filesystems,
    };
  },
  plan(guest) {
    const message = `${guest.os.product}: Windows guests are not supported yet; nothing would be fixed`;
    return { edits: [], findings: [{ code: 'windows-unsupported', severity: 'critical', message }] };
  },
  fixMounts: () => [],
  fixWriteBytes: () => 0, // nothing is fixed
  // No probe: such guests are refused at plan time, before any boot test.
  prepareBoot: async () => undefined,
  boot: { failures: [] },
};
