// PLAN: the accepted plan for this VM recorded, so a later plan knows which edits were approved.
import type { StageModule } from './stage.js';

export const plan: StageModule = {
  stage: 'plan',
  plan: (c) => ({ inputs: { edits: c.edits, findings: c.findings }, reason: 'record the accepted plan for this VM' }),
  hostLocal: true,
  async run({ planHash }) {
    return { outputs: [], note: `plan ${planHash.slice(0, 12)}` };
  },
};
