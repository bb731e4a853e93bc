// The local audit journal: append-only JSONL next to the state file (the chain: ../audit-chain.ts).
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from '../../model/state.js';
import { nextAuditLine } from '../audit-chain.js';
import { stateDir } from './paths.js';

export function auditPath(configDir: string): string {
  return join(stateDir(configDir), 'audit.jsonl');
}

export function readAuditLines(configDir: string): string[] {
  const path = auditPath(configDir);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** Appends one record; returns the new head hash (to be stored in state), and `undo` to take the
 *  record back when the state that was to name it cannot be written. */
export function appendAudit(configDir: string, entry: AuditEntry): { head: string; undo(): void } {
  const path = auditPath(configDir);
  const lines = readAuditLines(configDir);
  const { line, head } = nextAuditLine(entry, lines.length + 1, lines.at(-1));
  mkdirSync(stateDir(configDir), { recursive: true });
  const size = existsSync(path) ? statSync(path).size : 0;
  const undo = () => truncateSync(path, size);
  try {
    appendFileSync(path, `${line}\n`, { mode: 0o600 });
  } catch (err) {
    // A full disk may have taken part of the line: the journal stays as it was.
    if (existsSync(path)) undo();
    throw err;
  }
  return { head, undo };
}

/** A whole journal, for a state moved here from another backend. */
export function writeAuditLines(configDir: string, lines: string[]): void {
  mkdirSync(stateDir(configDir), { recursive: true });
  writeFileSync(auditPath(configDir), lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
}
