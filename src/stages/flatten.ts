// FLATTEN: a qcow2 overlay per disk over the source's chain; the source is only ever read.
import { createOverlays } from '../executors/flatten.js';
import type { StageModule } from './stage.js';

export const flatten: StageModule = {
  stage: 'flatten',
  plan: (c) => ({ inputs: c.fingerprint, reason: 'qcow2 overlay over the source chain; the source is only read' }),
  redoneMeans: 'the source changed since it was converted',
  hostLocal: true,
  async run({ source, vm, ws }) {
    await createOverlays(ws.overlays, await source.driver.diskEntries(source.config, vm, ws.fetchDir));
    return { outputs: [] };
  },
};
