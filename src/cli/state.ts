// Opening the state of a configuration for a command: its backend (the local files, or the one its
// `backend` block names), optionally under its lock, closed when the command is done with it.
import { resolve } from 'node:path';
import type { Config } from '../schema/config.js';
import type { VarInput } from '../schema/inputs.js';
import { declaresBackend } from '../schema/load.js';
import type { StateBackend } from '../state/backend.js';
import { type BackendKind, stateBackend } from '../state/registry.js';
import { StateStore } from '../state/store.js';
import { loadOrFail } from './load-or-fail.js';

const notice = (m: string) => process.stderr.write(`${m}\n`);

export function backendFor(config: Config, kind?: BackendKind): StateBackend {
  return stateBackend(config, kind, notice);
}

/** The configuration as far as a state command needs it: all of it (with its variables) when it
 *  names a backend, otherwise only its directory. */
export function stateConfig(dir: string, inputs: VarInput[]): Config {
  if (declaresBackend(dir)) return loadOrFail(dir, inputs);
  return { dir: resolve(dir), files: [], variables: {}, sources: {}, policies: {}, vms: [] };
}

/** Runs fn with the backend, closed however fn ends. */
export async function withBackend<T>(config: Config, fn: (b: StateBackend) => Promise<T>, kind?: BackendKind) {
  const backend = backendFor(config, kind);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

export async function withState<T>(config: Config, fn: (state: StateStore) => Promise<T>): Promise<T> {
  return withBackend(config, async (b) => fn(await StateStore.open(b)));
}

/** Runs fn with the state locked for `operation`; the lock is released however fn ends. */
export async function withLockedState<T>(
  config: Config,
  operation: string,
  fn: (state: StateStore) => Promise<T>,
  timeoutMs = 0,
): Promise<T> {
  return withBackend(config, async (backend) => {
    const lock = await backend.lock(operation, timeoutMs);
    try {
      return await fn(await StateStore.open(backend));
    } finally {
      await lock.release();
    }
  });
}
