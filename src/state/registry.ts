// Which state backend a configuration uses. Today: the local files under <config>/.h2k/. A second
// backend is one folder under src/state/ implementing StateBackend and one entry here.
import type { StateBackend } from './backend.js';
import { LocalBackend } from './local/backend.js';

export function stateBackend(configDir: string): StateBackend {
  return new LocalBackend(configDir);
}
