// CONVERT: each fixed overlay written to its output image (allocated blocks only).
import { existsSync } from 'node:fs';
import { convertImages } from '../executors/convert.js';
import { outputRecord } from '../executors/workspace.js';
import { allocatedBytes } from '../model/facts.js';
import { UserError } from '../util/errors.js';
import type { StageModule } from './stage.js';

export const convert: StageModule = {
  stage: 'convert',
  plan: (c) => {
    const { compress, trim } = c.vm.policy;
    const format = c.outputs.disks[0].format;
    const outDisks = c.outputs.disks.map((d) => d.path);
    return {
      inputs: { format, compress, trim, outDisks },
      reason: `write ${outDisks.join(', ')} (${format}${compress ? ', compressed' : ''}), allocated blocks only`,
    };
  },
  writes: { place: 'output', bytes: allocatedBytes },
  hostLocal: false,
  async run({ vm, ws, cfgVm, config, progress }) {
    if (ws.overlays.some((o) => !existsSync(o)))
      throw new UserError('the fixed overlay is missing', `run h2k apply -replace ${vm.address} to redo this VM`);
    const format = vm.outputs.disks[0].format;
    const { compress } = cfgVm.policy;
    await convertImages({ overlays: ws.overlays, outs: ws.outDisks, format, compress, onProgress: progress });
    return { outputs: await Promise.all(ws.outDisks.map((d) => outputRecord(d, config.dir))) };
  },
};
