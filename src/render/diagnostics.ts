// Diagnostics as text: `file:line:col: error: summary`, the detail, and the source line with a caret
// underline, so editors and humans can both jump to the spot.
import type { Diagnostic } from '../schema/diagnostics.js';
import type { SourceFile } from '../schema/source-file.js';
import type { Paint } from './paint.js';

export function renderDiagnostic(d: Diagnostic, files: Map<string, SourceFile>, paint: Paint): string {
  const sev = d.severity === 'error' ? paint.red('error') : paint.yellow('warning');
  const r = d.range;
  const head = r
    ? `${paint.bold(`${r.filename}:${r.start.line}:${r.start.column}:`)} ${sev}: ${paint.bold(d.summary)}`
    : `${sev}: ${paint.bold(d.summary)}`;
  const lines = [head, `  ${d.detail}`];
  const file = r && files.get(r.filename);
  if (r && file) {
    const line = file.text.split('\n')[r.start.line - 1] ?? '';
    const text = d.secret ? `${[...line].slice(0, r.start.column - 1).join('')}…` : line;
    const gutter = String(r.start.line).length;
    const width = d.secret
      ? 1
      : r.end.line === r.start.line
        ? Math.max(1, r.end.column - r.start.column)
        : Math.max(1, [...text].length - r.start.column + 1);
    lines.push(`  ${String(r.start.line)} | ${text}`);
    lines.push(`  ${' '.repeat(gutter)} | ${' '.repeat(r.start.column - 1)}${paint.red('^'.repeat(width))}`);
  }
  return lines.join('\n');
}

export function renderDiagnostics(diags: Diagnostic[], files: Map<string, SourceFile>, paint: Paint): string {
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.length - errors;
  const body = diags.map((d) => renderDiagnostic(d, files, paint)).join('\n\n');
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${body}\n\n${plural(errors, 'error')}, ${plural(warnings, 'warning')}.`;
}
