// Canonical layout for .h2k.hcl files: two-space indentation by nesting depth, `=` aligned within
// a run of consecutive attributes, single spaces in block headers, at most one blank line in a row,
// one trailing newline. Comments stay where they are; heredoc bodies are never touched.
import { graphemes } from './graphemes.js';
import { tokenize, type Token } from './lexer.js';
import { parseFile } from './parser.js';
import { SourceFile } from './source-file.js';

const OPENERS = new Set(['{', '[', '(']);
const CLOSERS = new Set(['}', ']', ')']);

interface Line {
  text: string;
  tokens: Token[];
  depth: number;
  verbatim: boolean;
}

/** Throws DiagnosticError on a syntax error: an unparseable file is never rewritten. */
export function formatHcl(filename: string, text: string): string {
  const file = new SourceFile(filename, text);
  const { errors } = parseFile(file);
  if (errors.length) throw errors[0];
  const { tokens } = tokenize(file, { keepComments: true });
  const rawLines = text.split('\n');
  const lines: Line[] = rawLines.map((t) => ({ text: t, tokens: [], depth: 0, verbatim: false }));
  const lineOf = (offset: number) => file.pos(offset).line - 1;

  let depth = 0;
  let heredocStart = -1;
  for (const t of tokens) {
    if (t.type === 'newline' || t.type === 'eof') continue;
    const li = lineOf(t.start);
    if (t.type === 'oheredoc') heredocStart = li;
    if (t.type === 'cheredoc') {
      for (let i = heredocStart + 1; i <= li; i++) lines[i].verbatim = true;
      heredocStart = -1;
    }
    if (t.type === 'comment' && t.text.startsWith('/*'))
      for (let i = li + 1; i <= lineOf(t.end); i++) lines[i].verbatim = true;
    if (lines[li].tokens.length === 0) lines[li].depth = depth - (isCloser(t) ? 1 : 0);
    lines[li].tokens.push(t);
    if (isOpener(t)) depth++;
    if (isCloser(t)) depth--;
  }

  interface OutLine {
    text: string;
    depth: number;
    /** Attribute name as written, when the line starts an attribute. */
    name?: string;
    rest?: string;
    closer: boolean;
  }
  const out: OutLine[] = [];
  let blankRun = 0;
  for (const line of lines) {
    if (line.verbatim) {
      out.push({ text: line.text, depth: Infinity, closer: false });
      blankRun = 0;
      continue;
    }
    if (line.tokens.length === 0) {
      if (++blankRun === 1) out.push({ text: '', depth: -1, closer: false });
      continue;
    }
    blankRun = 0;
    const depth = Math.max(0, line.depth);
    // A block comment that starts here continues on verbatim lines: keep only this line's part.
    const text = normaliseLine(line, file.text).split('\n')[0].trimEnd();
    const attr = /^([\p{ID_Start}_][\p{ID_Continue}-]*|"[^"]*") = (.*)$/u.exec(text);
    out.push({
      text: '  '.repeat(depth) + text,
      depth,
      closer: isCloser(line.tokens[0]),
      ...(attr && isAttributeStart(line.tokens) ? { name: attr[1], rest: attr[2] } : {}),
    });
  }
  // Align `=` within runs of attributes at one depth; deeper continuation lines and the closers of
  // multi-line values do not break a run, anything else does.
  for (let i = 0; i < out.length;) {
    if (out[i].name === undefined) {
      i++;
      continue;
    }
    const d = out[i].depth;
    const group = [i];
    let j = i + 1;
    for (; j < out.length; j++) {
      const l = out[j];
      if (l.name !== undefined && l.depth === d) group.push(j);
      else if (!(l.depth > d && l.depth !== Infinity) && !(l.depth === d && l.closer)) break;
    }
    const width = Math.max(...group.map((g) => graphemes(out[g].name!)));
    for (const g of group) {
      const name = out[g].name!;
      out[g].text = `${'  '.repeat(d)}${name}${' '.repeat(width - graphemes(name))} = ${out[g].rest}`.trimEnd();
    }
    i = j;
  }
  const texts = out.map((l) => l.text);
  while (texts.length && texts[0] === '') texts.shift();
  while (texts.length && texts[texts.length - 1] === '') texts.pop();
  return `${texts.join('\n')}\n`;
}

function isOpener(t: Token): boolean {
  return (t.type === 'punct' && OPENERS.has(t.text)) || t.type === 'interp' || t.type === 'control';
}

function isCloser(t: Token): boolean {
  return (t.type === 'punct' && CLOSERS.has(t.text)) || t.type === 'interpEnd';
}

function isAttributeStart(tokens: Token[]): boolean {
  return (
    tokens.length >= 2 &&
    (tokens[0].type === 'ident' || tokens[0].type === 'oquote') &&
    tokens[tokens.findIndex((t, i) => i > 0 && t.type !== 'lit' && t.type !== 'cquote')]?.text === '='
  );
}

function normaliseLine(line: Line, src: string): string {
  const t = line.tokens;
  const from = (tok: Token) => src.slice(tok.start, t[t.length - 1].end);
  const eq = t.findIndex((x) => x.type === 'punct' && x.text === '=');
  if (eq > 0 && isAttributeStart(t)) {
    const name = src.slice(t[0].start, t[eq - 1].end);
    return eq + 1 < t.length ? `${name} = ${from(t[eq + 1])}` : `${name} =`;
  }
  // Block header: type, labels, then "{" ending the line (possibly followed by a comment).
  const last = t[t.length - 1].type === 'comment' ? t.length - 2 : t.length - 1;
  if (t[0].type === 'ident' && t[last]?.type === 'punct' && t[last].text === '{') {
    const parts: string[] = [];
    for (let i = 0; i <= last;) {
      if (t[i].type === 'oquote') {
        const close = t.findIndex((x, j) => j > i && x.type === 'cquote');
        if (close < 0) return from(t[0]);
        parts.push(src.slice(t[i].start, t[close].end));
        i = close + 1;
      } else if (t[i].type === 'ident' || (t[i].type === 'punct' && i === last)) {
        parts.push(t[i].text);
        i++;
      } else return from(t[0]);
    }
    const comment = last < t.length - 1 ? ` ${t[t.length - 1].text}` : '';
    return parts.join(' ') + comment;
  }
  return from(t[0]);
}
