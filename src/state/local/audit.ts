// The audit journal: append-only JSONL next to the state. Each record carries the sha256 of the
// previous record's line, so editing, deleting or reordering records breaks the chain; the head
// hash is also kept in the state file, so removing the newest records is caught as well.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { canonicalize, sha256 } from '../../util/hash.js';
import type { AuditEntry, AuditProblem, AuditRecord } from '../../model/state.js';
import { stateDir } from './paths.js';

export const GENESIS = '0'.repeat(64);

export function auditPath(configDir: string): string {
  return join(stateDir(configDir), 'audit.jsonl');
}

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** Appends one record; returns the new head hash (to be stored in state), and `undo` to take the
 *  record back when the state that was to name it cannot be written. */
export function appendAudit(configDir: string, entry: AuditEntry): { head: string; undo(): void } {
  const path = auditPath(configDir);
  const lines = readLines(path);
  const last = lines[lines.length - 1];
  const record: AuditRecord = {
    seq: lines.length + 1,
    time: new Date().toISOString(),
    who: userInfo().username,
    host: hostname(),
    ...entry,
    prev_sha256: last ? sha256(last) : GENESIS,
  };
  const line = JSON.stringify(canonicalize(record));
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
  return { head: sha256(line), undo };
}

/** Checks the chain; `head` is the hash the state file recorded for the newest record. */
export function verifyAudit(configDir: string, head?: string): { records: AuditRecord[]; problems: AuditProblem[] } {
  const lines = readLines(auditPath(configDir));
  const problems: AuditProblem[] = [];
  const records: AuditRecord[] = [];
  let prev = GENESIS;
  lines.forEach((line, i) => {
    let r: AuditRecord;
    try {
      r = JSON.parse(line) as AuditRecord;
    } catch {
      problems.push({ line: i + 1, problem: 'not valid JSON' });
      prev = sha256(line);
      return;
    }
    if (r.prev_sha256 !== prev)
      problems.push({
        line: i + 1,
        problem:
          `chain broken: expected previous hash ${prev.slice(0, 12)}…, record says ` +
          `${String(r.prev_sha256).slice(0, 12)}… (a record before it was changed, removed or moved)`,
      });
    if (r.seq !== i + 1)
      problems.push({
        line: i + 1,
        problem: `sequence ${r.seq} where ${i + 1} was expected (records removed or reordered)`,
      });
    records.push(r);
    prev = sha256(line);
  });
  if (head !== undefined && prev !== head)
    problems.push({
      line: lines.length,
      problem:
        `the newest record is not the one the state recorded (head ${head.slice(0, 12)}…): records were removed ` +
        `from the end or the file was replaced`,
    });
  return { records, problems };
}
