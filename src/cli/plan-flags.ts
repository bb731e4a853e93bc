import { Flags } from '@oclif/core';

export const targetFlags = {
  target: Flags.string({
    description: 'Only this VM (vm.NAME or vm.NAME["key"]); repeatable.',
    multiple: true,
    helpValue: 'ADDR',
  }),
  replace: Flags.string({
    description: 'Redo this VM from its first stage even if state says done, inspecting its guest again; repeatable.',
    multiple: true,
    helpValue: 'ADDR',
  }),
  'refresh-only': Flags.boolean({
    description: 'Only compare the state with what is on disk (no guest inspection) and report drift.',
  }),
  parallelism: Flags.integer({ description: 'VMs worked on at once.', default: 2, min: 1, max: 64 }),
  'inspect-batch': Flags.integer({
    description:
      'Guests inspected in one libguestfs launch, every disk read-only (1: a launch per VM). A launch costs ' +
      'seconds under KVM and 13–40 s without; clones whose btrfs, LVM or md would mix are inspected alone.',
    default: 8,
    min: 1,
    max: 64,
  }),
};
