// Where h2k keeps its own files for a configuration: <config>/.h2k/.
import { join } from 'node:path';

export function stateDir(configDir: string): string {
  return join(configDir, '.h2k');
}
