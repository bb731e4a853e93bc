// Drift as the terminal shows it.
import { type Drift, describeDrift } from '../model/plan.js';

export function renderDrift(drift: Drift[]): string {
  if (drift.length === 0) return 'No drift: the state matches what is on disk.\n';
  const lines = drift.map((d) => `  ! ${describeDrift(d)}`);
  return `Drift since the last apply:\n${lines.join('\n')}\n`;
}
