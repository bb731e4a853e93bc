// Which state backend a configuration uses: the local files under <config>/.h2k/ unless a
// `backend "TYPE"` block names another. A second backend is one folder under src/state/
// implementing StateBackend, its block in schema/config-schema.ts, and one entry here.
import type { Config } from '../schema/config.js';
import type { StateBackend } from './backend.js';
import { LocalBackend } from './local/backend.js';
import { PgBackend } from './pg/backend.js';
import { UserError } from '../util/errors.js';

export type BackendKind = 'local' | NonNullable<Config['backend']>['type'];

export function stateBackend(config: Config, kind?: BackendKind, notice?: (m: string) => void): StateBackend {
  const want = kind ?? config.backend?.type ?? 'local';
  if (want === 'local') return new LocalBackend(config.dir);
  if (!config.backend || config.backend.type !== want)
    throw new UserError(
      `the configuration in ${config.dir} has no backend "${want}" block`,
      `add one: backend "${want}" { conn_str = var.pg_conn }`,
    );
  return new PgBackend(config.backend, notice);
}
