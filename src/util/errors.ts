// Runtime failures the user can act on: a one-line cause and a hint. Anything else is a bug and
// prints a stack trace only with --debug.

/** Exit codes: 0 ok, 1 error or invalid input, 2 plan has changes (-detailed-exitcode). */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

/** A stage's failure with evidence worth keeping in its state record (a boot test's verdict). */
export class FailureWithDetails extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message, hint);
  }
}

/** What a rejected promise gave, as an Error (a thrown string or object is wrapped). */
export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
