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
};
