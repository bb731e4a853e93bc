// Boots a source disk as it is, unfixed, through h2k's own boot test on KVM's virtio hardware: each
// fixture must fail there (that is what makes it a fixture worth converting). The probe goes into a
// throwaway overlay, as for a converted guest; `guest` says where its root and bootloader are.
import { prepareBootOverlays } from '../../src/guests/boot.js';
import { linux } from '../../src/guests/linux/index.js';
import { type BootVerdict, bootTest } from '../../src/executors/boot-test.js';
import type { NicIntent } from '../../src/model/guest-network.js';
import type { PlannedGuest } from '../../src/model/plan.js';
import { Sensitive } from '../../src/schema/values.js';
import { tempDir } from '../helpers.js';

export function bootUnfixed(opts: {
  images: string[];
  guest: {
    root: string;
    mounts?: { mountpoint: string; device: string }[];
    bootloader: string;
    /** An encrypted root: opened to ready the overlay, its passphrase typed if the guest asks. */
    luks?: { device: string; name: string; passphrase: string };
  };
  firmware?: 'bios' | 'uefi';
  network?: NicIntent[];
}): Promise<BootVerdict> {
  const { luks } = opts.guest;
  const planned = {
    family: 'linux',
    root: opts.guest.root,
    mounts: opts.guest.mounts ?? [],
    bootloader: { kind: 'grub2', config: opts.guest.bootloader },
    ...(luks ? { luks: [{ device: luks.device, name: luks.name }] } : {}),
  } as unknown as PlannedGuest;
  const unlocks = luks ? [{ device: luks.device, name: luks.name, key: new Sensitive(luks.passphrase) }] : [];
  return bootTest({
    evidence: linux.boot,
    prepare: (layers) => prepareBootOverlays(layers, planned, undefined, unlocks),
    ...(luks ? { unlock: { prompts: linux.boot.passphrasePrompts!, keys: unlocks } } : {}),
    timeoutSec: 600,
    workDir: tempDir(),
    ...(opts.network ? { network: opts.network } : {}),
    machine: {
      name: 'unfixed',
      disks: opts.images,
      format: 'vmdk',
      hw: {
        cpus: 2,
        memory_mib: 1024,
        firmware: opts.firmware ?? 'bios',
        nics: [{ mac: '52:54:00:00:00:01', model: 'virtio' }],
      },
    },
  });
}
