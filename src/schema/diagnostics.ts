// Diagnostics in Terraform's shape: severity, summary, detail and an optional source range.
import { UserError } from '../util/errors.js';
import { type Range, type Span, toRange } from './source-file.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail: string;
  range?: Range;
  /** The range holds a secret: its source line is shown only up to it. */
  secret?: boolean;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(summary: string, detail: string, span?: Span, opts: { secret?: boolean } = {}): void {
    const secret = opts.secret ? { secret: true } : {};
    this.items.push({ severity: 'error', summary, detail, ...(span ? { range: toRange(span) } : {}), ...secret });
  }

  warning(summary: string, detail: string, span?: Span): void {
    this.items.push({ severity: 'warning', summary, detail, ...(span ? { range: toRange(span) } : {}) });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  /** Stable order: by file, then position, so output does not depend on evaluation order. */
  sorted(): Diagnostic[] {
    return [...this.items].sort((a, b) => {
      const fa = a.range?.filename ?? '';
      const fb = b.range?.filename ?? '';
      if (fa !== fb) return fa < fb ? -1 : 1;
      return (a.range?.start.byte ?? -1) - (b.range?.start.byte ?? -1);
    });
  }
}

/** Thrown out of the evaluator; carries one diagnostic that the caller records and moves on. */
export class DiagnosticError extends Error {
  constructor(
    readonly summary: string,
    readonly detail: string,
    readonly span?: Span,
  ) {
    super(`${summary}: ${detail}`);
  }
}

/** A runtime failure whose cause is in the configuration: the diagnostics say where. */
export class ConfigurationError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(message, hint);
  }
}
