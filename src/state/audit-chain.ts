// The audit journal's hash chain, whatever stores it: each record carries the sha256 of the previous
// record's line, so editing, deleting or reordering records breaks the chain; the state keeps the
// newest record's hash, so records cut from the end are caught as well. A backend stores the lines
// byte for byte, so a journal moved between backends verifies the same.
import { hostname, userInfo } from 'node:os';
import type { AuditEntry, AuditProblem, AuditRecord } from '../model/state.js';
import { canonicalize, sha256 } from '../util/hash.js';

export const GENESIS = '0'.repeat(64);

/** The line of the record after `last` (undefined for the first), and the new head hash. */
export function nextAuditLine(
  entry: AuditEntry,
  seq: number,
  last: string | undefined,
): { line: string; head: string } {
  const record: AuditRecord = {
    seq,
    time: new Date().toISOString(),
    who: userInfo().username,
    host: hostname(),
    ...entry,
    prev_sha256: last !== undefined ? sha256(last) : GENESIS,
  };
  const line = JSON.stringify(canonicalize(record));
  return { line, head: sha256(line) };
}

/** Checks the chain of `lines`; `head` is the hash the state recorded for the newest record. */
export function verifyAuditLines(lines: string[], head?: string): { records: AuditRecord[]; problems: AuditProblem[] } {
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
