// Heavy CommonJS dependencies loaded on first use instead of at startup: most runs of h2k never reach
// an SSH host, a Postgres server or an OVF descriptor, and loading ssh2, pg, pg-boss and
// fast-xml-parser up front slowed every command's start.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that loads the package `id` (through its CommonJS entry) the first time it is called. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
