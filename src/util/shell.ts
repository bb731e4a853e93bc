// Quoting for POSIX sh: a string as one word, whatever it holds.

/** `s` in single quotes, each ' in it written as '\'' (close, escaped quote, reopen). */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
