// Tokenizer for HCL native syntax. Quoted strings and heredocs are templates: the lexer switches
// into a template mode and emits literal / interpolation / directive tokens, so `${ "a${b}" }`
// nests properly. Errors are collected, not thrown, so one pass reports every problem it can.
import { DiagnosticError } from './diagnostics.js';
import type { SourceFile } from './source-file.js';

export type TokenType =
  | 'ident'
  | 'number'
  | 'newline'
  | 'eof'
  | 'punct' // { } [ ] ( ) = , . : ? ! + - * / % == != < > <= >= && || => ...
  | 'oquote' // "
  | 'cquote'
  | 'oheredoc' // <<EOF / <<-EOF
  | 'cheredoc'
  | 'lit' // literal template text, escapes already decoded; in a heredoc, at most one line
  | 'interp' // ${ or ${~
  | 'control' // %{ or %{~
  | 'interpEnd' // } or ~} closing an interpolation or directive
  | 'invalid' // a character the language does not use (already diagnosed)
  | 'comment';

export interface Token {
  type: TokenType;
  text: string; // source text (for lit: the decoded value)
  start: number;
  end: number;
  /** For oheredoc: whether indentation is stripped (<<-). */
  flush?: boolean;
}

export interface Lexed {
  tokens: Token[];
  errors: DiagnosticError[];
}

const PUNCT3 = ['...'];
const PUNCT2 = ['==', '!=', '<=', '>=', '&&', '||', '=>'];
const PUNCT1 = '{}[]()=,.:?!+-*/%<>';
// The spec's identifiers: a Unicode letter (or underscore), then letters, digits, marks, `_`, `-`.
const IDENT_START = /[\p{ID_Start}_]/u;
const IDENT_PART = /[\p{ID_Continue}-]/u;

/** `bare`: the whole text is a template (a JSON string's value), ending where the text ends. */
type Mode =
  | { kind: 'normal'; braces: number; opened?: number } // opened: where its `${` or `%{` is
  | { kind: 'quote'; firstBreak?: number }
  | { kind: 'heredoc'; marker: string }
  | { kind: 'bare' };

export interface LexOptions {
  keepComments?: boolean;
  /** Where to start (the text before is not part of what is lexed). */
  start?: number;
  /** Lex the text as a template, not as a configuration body. */
  template?: boolean;
}

export function tokenize(file: SourceFile, opts: LexOptions = {}): Lexed {
  const src = file.text;
  const keepComments = opts.keepComments ?? false;
  const out: Token[] = [];
  const errors: DiagnosticError[] = [];
  const modes: Mode[] = [opts.template ? { kind: 'bare' } : { kind: 'normal', braces: 0 }];
  // A UTF-8 byte order mark at the start is not content (HCL skips it too).
  let i = opts.start ?? (src.startsWith('\ufeff') ? 1 : 0);
  const error = (summary: string, detail: string, at: number, end = at + 1): void => {
    errors.push(new DiagnosticError(summary, detail, file.span(at, Math.min(end, src.length))));
  };
  const push = (type: TokenType, start: number, end: number, text = src.slice(start, end), flush?: boolean) => {
    out.push({ type, text, start, end, ...(flush === undefined ? {} : { flush }) });
  };

  lex: while (i <= src.length) {
    const mode = modes[modes.length - 1];
    if (mode.kind !== 'normal') {
      const next = lexTemplateText(mode);
      if (next < 0) break;
      i = next;
      continue;
    }
    if (i === src.length) break;
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\n') {
      push('newline', i, i + 1);
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      let j = i;
      while (j < src.length && src[j] !== '\n') j++;
      if (keepComments) push('comment', i, j);
      i = j;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const j = src.indexOf('*/', i + 2);
      if (j < 0) {
        // Like HCL: without its end, "/*" is no comment but two operators (the parser reports them).
        push('punct', i, i + 1);
        i++;
        continue;
      }
      if (keepComments) push('comment', i, j + 2);
      // A block comment spanning lines still ends the line for attribute purposes.
      if (src.slice(i, j).includes('\n')) push('newline', j + 1, j + 2, '\n');
      i = j + 2;
      continue;
    }
    const cp = String.fromCodePoint(src.codePointAt(i)!);
    if (IDENT_START.test(cp)) {
      let j = i + cp.length;
      while (j < src.length) {
        const next = String.fromCodePoint(src.codePointAt(j)!);
        if (!IDENT_PART.test(next)) break;
        j += next.length;
      }
      push('ident', i, j);
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 4096))!;
      push('number', i, i + m[0].length);
      i += m[0].length;
      continue;
    }
    if (c === '"') {
      push('oquote', i, i + 1);
      modes.push({ kind: 'quote' });
      i++;
      continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<(-?)([\p{ID_Start}_][\p{ID_Continue}-]*)\r?\n/u.exec(src.slice(i, i + 1024));
      if (m) {
        push('oheredoc', i, i + m[0].length, m[0], m[1] === '-');
        modes.push({ kind: 'heredoc', marker: m[2] });
        i += m[0].length;
        continue;
      }
    }
    if (c === '~' && src[i + 1] === '}' && mode.braces === 0 && modes.length > 1) {
      push('interpEnd', i, i + 2);
      modes.pop();
      i += 2;
      continue;
    }
    const p3 = PUNCT3.find((p) => src.startsWith(p, i));
    const p2 = p3 ? undefined : PUNCT2.find((p) => src.startsWith(p, i));
    const p = p3 ?? p2 ?? (PUNCT1.includes(c) ? c : undefined);
    if (p === undefined) {
      error('Invalid character', `This character is not used within the language: ${JSON.stringify(cp)}.`, i);
      push('invalid', i, i + cp.length);
      i += cp.length;
      continue lex;
    }
    if (p === '{') mode.braces++;
    if (p === '}') {
      if (mode.braces === 0 && modes.length > 1) {
        push('interpEnd', i, i + 1);
        modes.pop();
        i++;
        continue;
      }
      mode.braces--;
    }
    push('punct', i, i + p.length);
    i += p.length;
  }
  if (modes.length > 1) unclosedAtEnd();
  push('eof', src.length, src.length, '');
  return { tokens: out, errors };

  // Lexes literal text up to the next interpolation or closing marker; returns the new index, or -1
  // when the template runs to the end of the file.
  function lexTemplateText(mode: Mode): number {
    let start = i;
    let text = '';
    let j = i;
    const heredoc = mode.kind === 'heredoc';
    const bare = mode.kind === 'bare';
    const flushLit = (end: number) => {
      if (text) push('lit', start, end, text.normalize('NFC'));
      text = '';
      start = end;
    };
    while (true) {
      if (j >= src.length) {
        flushLit(j);
        return -1;
      }
      const ch = src[j];
      if (heredoc) {
        // The closing marker stands alone on its line (after optional indentation), and that line ends.
        const lineStart = j === 0 || src[j - 1] === '\n';
        if (lineStart) {
          const m = /^[ \t]*([\p{ID_Start}_][\p{ID_Continue}-]*)[ \t]*\r?\n/u.exec(src.slice(j, j + 1024));
          if (m && m[1] === (mode as { marker: string }).marker) {
            flushLit(j);
            const endMarker = j + m[0].length - (m[0].endsWith('\r\n') ? 2 : 1);
            push('cheredoc', j, endMarker);
            modes.pop();
            return endMarker;
          }
        }
        if (ch === '\n') {
          text += ch;
          j++;
          flushLit(j);
          continue;
        }
      } else if (!bare) {
        if (ch === '"') {
          flushLit(j);
          push('cquote', j, j + 1);
          modes.pop();
          return j + 1;
        }
        if (ch === '\n') {
          // Reported, and (as HCL does) the string goes on: its closing quote may be further down.
          (mode as { firstBreak?: number }).firstBreak ??= j;
          error(
            'Invalid multi-line string',
            'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n ' +
              'escape to represent a newline character or use the "heredoc" multi-line template syntax.',
            j,
          );
        }
        if (ch === '\\') {
          const decoded = decodeEscape(j);
          text += decoded[0];
          j += decoded[1];
          continue;
        }
      }
      if ((ch === '$' || ch === '%') && src[j + 1] === ch && src[j + 2] === '{') {
        text += `${ch}{`;
        j += 3;
        continue;
      }
      if ((ch === '$' || ch === '%') && src[j + 1] === '{') {
        flushLit(j);
        const len = src[j + 2] === '~' ? 3 : 2;
        push(ch === '$' ? 'interp' : 'control', j, j + len);
        modes.push({ kind: 'normal', braces: 0, opened: j });
        return j + len;
      }
      text += ch;
      j++;
    }
  }

  // The file ended inside a template, as HCL reports it: at the innermost open interpolation, else
  // at the string's first line break (or the end), or at the end for a heredoc.
  function unclosedAtEnd(): void {
    const top = modes[modes.length - 1];
    const interp = [...modes].reverse().find((m) => m.kind === 'normal' && m.opened !== undefined) as
      { opened: number } | undefined;
    if (interp) {
      const where = top.kind === 'quote' ? 'the quoted template' : 'the file';
      error(
        'Unclosed template interpolation sequence',
        `There is no closing brace for this interpolation sequence before the end of ${where}. This might be ` +
          'caused by incorrect nesting inside the given expression.',
        interp.opened,
        interp.opened + 2,
      );
    } else if (top.kind === 'quote') {
      const at = top.firstBreak ?? src.length;
      const end = top.firstBreak === undefined ? at : at + 1;
      error('Unterminated template string', 'No closing marker was found for the string.', at, end);
    } else if (top.kind === 'heredoc')
      error('Unterminated template string', 'No closing marker was found for the string.', src.length, src.length);
  }

  function decodeEscape(j: number): [string, number] {
    const n = src[j + 1];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (n in simple) return [simple[n], 2];
    if (n === 'u' || n === 'U') {
      const len = n === 'u' ? 4 : 8;
      const hex = src.slice(j + 2, j + 2 + len);
      if (new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) {
        const cp = parseInt(hex, 16);
        if (cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return [String.fromCodePoint(cp), 2 + len];
        error(
          'Invalid escape sequence',
          `The escape sequence ${src.slice(j, j + 2 + len)} is not a Unicode character (surrogate or out of range).`,
          j,
          j + 2 + len,
        );
        return ['', 2 + len];
      }
    }
    error(
      'Invalid escape sequence',
      `The symbol ${JSON.stringify(n ?? '')} is not a valid escape sequence selector.`,
      j,
      j + 2,
    );
    return ['', 2];
  }
}
