// INSPECT: the source (or FETCH's copy) still matches the facts the plan was made from.
import type { StageModule } from './stage.js';

export const inspect: StageModule = {
  stage: 'inspect',
  plan: (c) => ({ inputs: c.facts, reason: 'confirm the source still matches the facts this plan used' }),
  hostLocal: true,
  async run({ source, vm, cfgVm }) {
    await source.driver.checkUnchanged(source.config, vm, cfgVm);
    return { outputs: [], note: source.driver.fetch ? 'fetched chain intact' : 'source unchanged since the plan' };
  },
};
