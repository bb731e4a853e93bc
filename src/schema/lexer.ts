// Tokenizer for HCL native syntax. Quoted strings and heredocs are templates: the lexer switches
// into a template mode and emits literal / interpolation tokens, so `${ "a${b}" }` nests properly.
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
  | 'lit' // literal template text, escapes already decoded
  | 'interp' // ${
  | 'interpEnd' // } closing an interpolation
  | 'comment';

export interface Token {
  type: TokenType;
  text: string; // source text (for lit: the decoded value)
  start: number;
  end: number;
  /** For oheredoc: whether indentation is stripped (<<-). */
  flush?: boolean;
}

const PUNCT3 = ['...'];
const PUNCT2 = ['==', '!=', '<=', '>=', '&&', '||', '=>'];
const PUNCT1 = '{}[]()=,.:?!+-*/%<>';

type Mode = { kind: 'normal'; braces: number } | { kind: 'quote' } | { kind: 'heredoc'; marker: string };

export function tokenize(file: SourceFile, keepComments = false): Token[] {
  const src = file.text;
  const out: Token[] = [];
  const modes: Mode[] = [{ kind: 'normal', braces: 0 }];
  let i = 0;
  const fail = (summary: string, detail: string, at: number, end = at + 1): never => {
    throw new DiagnosticError(summary, detail, file.span(at, Math.min(end, src.length)));
  };
  const push = (type: TokenType, start: number, end: number, text = src.slice(start, end), flush?: boolean) => {
    out.push({ type, text, start, end, ...(flush === undefined ? {} : { flush }) });
  };

  while (i <= src.length) {
    const mode = modes[modes.length - 1];
    if (mode.kind === 'quote' || mode.kind === 'heredoc') {
      i = lexTemplateText(mode);
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
      if (j < 0) fail('Unterminated comment', 'There is no closing marker for this multi-line comment.', i, i + 2);
      if (keepComments) push('comment', i, j + 2);
      // A block comment spanning lines still ends the line for attribute purposes.
      if (src.slice(i, j).includes('\n')) push('newline', j + 1, j + 2, '\n');
      i = j + 2;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_-]/.test(src[j])) j++;
      push('ident', i, j);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
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
      const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(src.slice(i));
      if (m) {
        push('oheredoc', i, i + m[0].length, m[0], m[1] === '-');
        modes.push({ kind: 'heredoc', marker: m[2] });
        i += m[0].length;
        continue;
      }
    }
    const p3 = PUNCT3.find((p) => src.startsWith(p, i));
    const p2 = p3 ? undefined : PUNCT2.find((p) => src.startsWith(p, i));
    const p = p3 ?? p2 ?? (PUNCT1.includes(c) ? c : undefined);
    if (p === undefined) {
      fail('Invalid character', `This character is not used within the language: ${JSON.stringify(c)}.`, i);
      return out;
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
  if (modes.length > 1) {
    const open = [...out].reverse().find((t) => t.type === 'oquote' || t.type === 'oheredoc' || t.type === 'interp');
    const at = open?.start ?? src.length;
    if (modes[modes.length - 1].kind === 'normal')
      fail(
        'Unterminated template interpolation',
        'There is no closing brace for this interpolation sequence.',
        at,
        at + 2,
      );
    fail('Unterminated template string', 'No closing marker was found for the string.', at);
  }
  push('eof', src.length, src.length, '');
  return out;

  // Lexes literal text up to the next interpolation or closing marker; returns the new index.
  function lexTemplateText(mode: Mode): number {
    const start = i;
    let text = '';
    let j = i;
    const heredoc = mode.kind === 'heredoc';
    while (true) {
      if (j >= src.length) {
        if (text) push('lit', start, j, text);
        const open = [...out].reverse().find((t) => t.type === 'oquote' || t.type === 'oheredoc')!;
        return fail(
          heredoc ? 'Unterminated template string' : 'Unterminated template string',
          heredoc
            ? `The heredoc has no closing marker "${(mode as { marker: string }).marker}".`
            : 'No closing marker was found for the string.',
          open.start,
        );
      }
      const ch = src[j];
      if (heredoc) {
        // The closing marker must stand alone on its line (after optional indentation).
        const lineStart = j === 0 || src[j - 1] === '\n';
        if (lineStart) {
          const m = /^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*(\r?\n|$)/.exec(src.slice(j));
          if (m && m[1] === (mode as { marker: string }).marker) {
            if (text) push('lit', start, j, text);
            const endMarker = j + m[0].length - m[2].length;
            push('cheredoc', j, endMarker);
            modes.pop();
            return endMarker;
          }
        }
      } else {
        if (ch === '"') {
          if (text) push('lit', start, j, text);
          push('cquote', j, j + 1);
          modes.pop();
          return j + 1;
        }
        if (ch === '\n')
          fail('Unterminated template string', 'No closing marker was found for the string.', lastQuote());
        if (ch === '\\') {
          const [decoded, len] = decodeEscape(j);
          text += decoded;
          j += len;
          continue;
        }
      }
      if ((ch === '$' || ch === '%') && src[j + 1] === ch && src[j + 2] === '{') {
        text += `${ch}{`;
        j += 3;
        continue;
      }
      if (ch === '%' && src[j + 1] === '{')
        fail(
          'Unsupported template directive',
          'Template directives (%{ ... }) are not supported; use a conditional expression instead.',
          j,
          j + 2,
        );
      if (ch === '$' && src[j + 1] === '{') {
        if (text) push('lit', start, j, text);
        push('interp', j, j + 2);
        modes.push({ kind: 'normal', braces: 0 });
        return j + 2;
      }
      text += ch;
      j++;
    }
  }

  function lastQuote(): number {
    return [...out].reverse().find((t) => t.type === 'oquote')?.start ?? i;
  }

  function decodeEscape(j: number): [string, number] {
    const n = src[j + 1];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
    if (n in simple) return [simple[n], 2];
    if (n === 'u' || n === 'U') {
      const len = n === 'u' ? 4 : 8;
      const hex = src.slice(j + 2, j + 2 + len);
      if (new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return [String.fromCodePoint(parseInt(hex, 16)), 2 + len];
    }
    return fail(
      'Invalid escape sequence',
      `The symbol ${JSON.stringify(n ?? '')} is not a valid escape sequence selector.`,
      j,
      j + 2,
    );
  }
}
