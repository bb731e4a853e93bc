// FETCH: the source's disks copied (or verified) into the workspace, for sources whose disks are not
// local files (vSphere, ESXi, OVA).
import { allocatedBytes } from '../model/facts.js';
import type { StageModule } from './stage.js';

export const fetch: StageModule = {
  stage: 'fetch',
  plan: (c) => (c.fetch ? { inputs: c.fingerprint, reason: c.fetch } : undefined),
  writes: { place: 'fetch', bytes: allocatedBytes },
  hostLocal: true,
  async run({ source, vm, cfgVm, ws, config, step, progress }) {
    if (!source.driver.fetch) throw new Error(`${vm.source.type} sources have no FETCH stage`);
    return source.driver.fetch.run({
      source: source.config,
      vm,
      policy: cfgVm.policy,
      dir: ws.fetchDir,
      configDir: config.dir,
      onStep: step,
      onProgress: progress,
    });
  },
};
