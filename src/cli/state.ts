// Opening the state of a configuration for a command: its backend, optionally under its lock.
import { resolve } from 'node:path';
import type { StateBackend } from '../state/backend.js';
import { stateBackend } from '../state/registry.js';
import { StateStore } from '../state/store.js';

export function backendFor(dir: string): StateBackend {
  return stateBackend(resolve(dir));
}

export async function openState(dir: string): Promise<StateStore> {
  return StateStore.open(backendFor(dir));
}

/** Runs fn with the state locked for `operation`; the lock is released however fn ends. */
export async function withLockedState<T>(
  dir: string,
  operation: string,
  fn: (state: StateStore) => Promise<T>,
  timeoutMs = 0,
): Promise<T> {
  const backend = backendFor(dir);
  const lock = await backend.lock(operation, timeoutMs);
  try {
    return await fn(await StateStore.open(backend));
  } finally {
    await lock.release();
  }
}
