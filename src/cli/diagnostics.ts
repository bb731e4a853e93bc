// Printing configuration diagnostics on stderr, with the source lines they point at.
import { readFileSync } from 'node:fs';
import { renderDiagnostics } from '../render/diagnostics.js';
import { paintFor } from '../render/paint.js';
import type { Diagnostic } from '../schema/diagnostics.js';
import { SourceFile } from '../schema/source-file.js';

export function printDiagnostics(diags: Diagnostic[], files?: Map<string, SourceFile>): void {
  if (diags.length === 0) return;
  const known = files ?? new Map<string, SourceFile>();
  for (const d of diags) {
    const name = d.range?.filename;
    if (name && !known.has(name)) known.set(name, new SourceFile(name, readFileSync(name, 'utf8')));
  }
  process.stderr.write(`${renderDiagnostics(diags, known, paintFor(process.stderr))}\n`);
}
