// Recursive-descent parser for HCL native syntax: bodies (attributes and blocks) and expressions.
// It recovers after an error the way HashiCorp's parser does (skip to the end of the body item or
// of the bracket it is in), so one run reports every error in a file; once it is recovering, the
// errors that would only be consequences of the first are not reported.
import type { Attribute, BinaryOp, Block, Body, Expr, ObjectItem, TemplateExpr } from './ast.js';
import { DiagnosticError } from './diagnostics.js';
import { graphemePrefixLength, graphemes } from './graphemes.js';
import { tokenize, type Token } from './lexer.js';
import { HclNumber } from './number.js';
import { type SourceFile, type Span } from './source-file.js';

const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

const OPENERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

export interface ParseResult {
  body: Body;
  /** In HCL's order: the lexer's, then the parser's. Empty when the file is valid. */
  errors: DiagnosticError[];
}

export function parseFile(file: SourceFile): ParseResult {
  const { tokens, errors } = tokenize(file);
  const p = new Parser(file, tokens);
  const body = p.parseBody(undefined);
  return { body, errors: [...errors, ...p.errors] };
}

/** A whole text as a template (a JSON string's value), from `start` to the end. */
export function parseTemplateText(file: SourceFile, start: number): { expr?: TemplateExpr; errors: DiagnosticError[] } {
  const { tokens, errors } = tokenize(file, { start, template: true });
  if (errors.length) return { errors };
  const p = new Parser(file, tokens);
  const first = tokens[0];
  try {
    return { expr: p.bareTemplate(first), errors: p.errors };
  } catch (err) {
    if (err instanceof Bail) return { errors: p.errors };
    throw err;
  }
}

/** Parses a lone expression, e.g. a `-var name=VALUE` value; throws its first error. */
export function parseExpression(file: SourceFile, start = 0): Expr {
  const { tokens, errors } = tokenize(file, { start });
  if (errors.length) throw errors[0];
  const p = new Parser(file, tokens);
  try {
    const expr = p.expression();
    p.expectEnd();
    return expr;
  } catch (err) {
    if (err instanceof Bail) throw p.errors[0];
    throw err;
  }
}

/** Unwinds an expression that cannot be parsed; the body item catches it and recovers. */
class Bail extends Error {}

class Parser {
  private pos = 0;
  /** >0 inside ( ) and [ ]: newlines there are insignificant. */
  private nlIgnore = 0;
  private recovery = false;
  readonly errors: DiagnosticError[] = [];

  constructor(
    private file: SourceFile,
    private tokens: Token[],
  ) {}

  private span(start: number, end: number): Span {
    return this.file.span(start, end);
  }

  private tokSpan(tok: Token): Span {
    // A newline token's range ends at the start of the next line, as HCL reports it.
    return this.span(tok.start, Math.max(tok.end, tok.type === 'eof' ? tok.start : tok.start + 1));
  }

  /** Records an error unless the parser is already recovering from an earlier one. */
  private report(summary: string, detail: string, span: Span, always = false): void {
    if (!this.recovery || always) this.errors.push(new DiagnosticError(summary, detail, span));
  }

  private fail(summary: string, detail: string, tok: Token): never {
    this.report(summary, detail, this.tokSpan(tok));
    this.recovery = true;
    throw new Bail();
  }

  private peek(): Token {
    if (this.nlIgnore > 0) while (this.tokens[this.pos].type === 'newline') this.pos++;
    return this.tokens[this.pos];
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.type === 'punct' && t.text === text;
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.type === 'ident' && t.text === word;
  }

  private expectPunct(text: string, summary: string, detail: string): Token {
    const t = this.peek();
    if (t.type !== 'punct' || t.text !== text) this.fail(summary, detail, t);
    return this.next();
  }

  expectEnd(): void {
    while (this.tokens[this.pos].type === 'newline') this.pos++;
    const t = this.peek();
    if (t.type !== 'eof')
      this.fail(
        'Extra characters after expression',
        'An expression was successfully parsed, but extra characters were found after it.',
        t,
      );
  }

  /** Reported even while recovering, as HCL does: each such line is its own mistake. */
  private argumentRequired(ident: Token): void {
    this.report(
      'Argument or block definition required',
      'An argument or block definition is required here. To set an argument, use the equals sign "=" to ' +
        'introduce the argument value.',
      this.tokSpan(ident),
      true,
    );
  }

  private unclosedBlock(open: Token): void {
    this.report(
      'Unclosed configuration block',
      'There is no closing brace for this block before the end of the file. This may be caused by incorrect ' +
        'brace nesting elsewhere in this file.',
      this.tokSpan(open),
    );
  }

  // --- recovery -------------------------------------------------------------------------------

  /** Skips to the end of the current body item: the next newline outside any bracket. */
  private recoverAfterBodyItem(): void {
    this.recovery = true;
    this.nlIgnore = 0;
    const open: string[] = [];
    while (true) {
      const t = this.tokens[this.pos];
      if (t.type === 'eof') return;
      this.pos++;
      if (t.type === 'newline' && open.length === 0) return;
      const kind = bracketKind(t);
      if (kind === 'open') open.push(opener(t));
      else if (kind === 'close') {
        const want = opener(t);
        while (open.length && open[open.length - 1] !== want) open.pop();
        open.pop();
      }
    }
  }

  private recoverToEnd(): void {
    this.recovery = true;
    this.pos = this.tokens.length - 1;
  }

  /** Skips past the `}` closing the body the parser is in (or to the end of the file). */
  private recoverToCloseBrace(): void {
    this.recovery = true;
    this.nlIgnore = 0;
    let depth = 0;
    while (true) {
      const t = this.tokens[this.pos];
      if (t.type === 'eof') return;
      this.pos++;
      if (t.type === 'punct' && t.text === '{') depth++;
      if (t.type === 'punct' && t.text === '}') {
        if (depth === 0) return;
        depth--;
      }
    }
  }

  // --- bodies ---------------------------------------------------------------------------------

  /** `open` is the brace of the block being parsed; undefined for the file's top level. */
  parseBody(open: Token | undefined): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const seen = new Map<string, Attribute>();
    const start = this.tokens[this.pos].start;
    while (true) {
      const t = this.tokens[this.pos];
      if (open ? t.type === 'punct' && t.text === '}' : t.type === 'eof') {
        if (open) this.pos++;
        break;
      }
      if (t.type === 'newline') {
        this.pos++;
        continue;
      }
      if (t.type === 'ident') {
        const item = this.bodyItem();
        if (item && 'expr' in item) {
          const earlier = seen.get(item.name);
          if (earlier) {
            const at = this.file.pos(earlier.nameSpan.start);
            this.report(
              'Attribute redefined',
              `The argument "${item.name}" was already set at ${this.file.filename}:${at.line}:${at.column}. Each ` +
                'argument may be set only once.',
              item.nameSpan,
              true,
            );
          } else {
            seen.set(item.name, item);
            attributes.push(item);
          }
        } else if (item) blocks.push(item);
        continue;
      }
      if (t.type === 'eof') {
        this.unclosedBlock(open!);
        break;
      }
      if (t.type === 'oquote')
        this.report('Invalid argument name', 'Argument names must not be quoted.', this.tokSpan(t));
      else
        this.report(
          'Argument or block definition required',
          'An argument or block definition is required here.',
          this.tokSpan(t),
        );
      // Like HCL: the rest of this body is skipped (at the top level, the rest of the file).
      this.pos++;
      if (open) this.recoverToCloseBrace();
      else this.recoverToEnd();
      break;
    }
    return { attributes, blocks, span: this.span(start, this.tokens[Math.max(this.pos - 1, 0)].end) };
  }

  private bodyItem(): Attribute | Block | undefined {
    const ident = this.tokens[this.pos++];
    const next = this.tokens[this.pos];
    if (next.type === 'punct' && next.text === '=') return this.attribute(ident, false);
    if (startsBlock(next)) return this.block(ident);
    this.argumentRequired(ident);
    this.recoverAfterBodyItem();
    return undefined;
  }

  private attribute(ident: Token, singleLine: boolean): Attribute {
    this.pos++; // =
    let expr: Expr;
    try {
      expr = this.expression();
    } catch (err) {
      if (!(err instanceof Bail)) throw err;
      const placeholder: Expr = { kind: 'literal', value: null, span: this.tokSpan(ident) };
      this.recoverAfterBodyItem();
      return { name: ident.text, nameSpan: this.tokSpan(ident), expr: placeholder, span: this.tokSpan(ident) };
    }
    const attr = {
      name: ident.text,
      nameSpan: this.tokSpan(ident),
      expr,
      span: this.span(ident.start, expr.span.end),
    };
    if (singleLine) return attr;
    const end = this.tokens[this.pos];
    if (end.type === 'newline') this.pos++;
    else if (end.type !== 'eof') {
      const comma = end.type === 'punct' && end.text === ',';
      this.report(
        comma ? 'Unexpected comma after argument' : 'Missing newline after argument',
        (comma ? 'Argument definitions must be separated by newlines, not commas. ' : '') +
          'An argument definition must end with a newline.',
        this.tokSpan(end),
      );
      this.recoverAfterBodyItem();
    }
    return attr;
  }

  private block(typeTok: Token): Block | undefined {
    const labels: Block['labels'] = [];
    let headerEnd = typeTok.end;
    while (true) {
      const t = this.tokens[this.pos];
      if (t.type === 'ident') {
        this.pos++;
        labels.push({ value: t.text, span: this.tokSpan(t) });
        headerEnd = t.end;
        continue;
      }
      if (t.type === 'oquote') {
        const label = this.quotedLabel();
        if (!label) return undefined;
        labels.push(label);
        headerEnd = label.span.end;
        continue;
      }
      break;
    }
    const open = this.tokens[this.pos];
    if (open.type !== 'punct' || open.text !== '{') {
      if (open.type === 'punct' && open.text === '=')
        this.report(
          'Invalid block definition',
          'The equals sign "=" indicates an argument definition, and must not be used when defining a block.',
          this.tokSpan(open),
          true,
        );
      else if (open.type === 'newline')
        this.report(
          'Invalid block definition',
          'A block definition must have block content delimited by "{" and "}", starting on the same line as ' +
            'the block header.',
          this.tokSpan(open),
          true,
        );
      else
        this.report(
          'Invalid block definition',
          'Either a quoted string block label or an opening brace ("{") is expected here.',
          this.tokSpan(open),
        );
      this.recoverAfterBodyItem();
      return undefined;
    }
    this.pos++;
    const first = this.tokens[this.pos];
    let body: Body;
    if (first.type === 'newline' || first.type === 'eof' || (first.type === 'punct' && first.text === '}'))
      body = this.parseBody(open);
    else {
      const single = this.singleLineBody(open);
      if (!single) return undefined;
      body = single;
    }
    const close = this.tokens[this.pos - 1];
    const eol = this.tokens[this.pos];
    if (eol.type === 'newline') this.pos++;
    else if (eol.type !== 'eof' && !(eol.type === 'punct' && eol.text === '}' && first.type === 'newline')) {
      this.report(
        'Missing newline after block definition',
        'A block definition must end with a newline.',
        this.tokSpan(eol),
      );
      this.recoverAfterBodyItem();
    }
    return {
      type: typeTok.text,
      typeSpan: this.tokSpan(typeTok),
      labels,
      body,
      headerSpan: this.span(typeTok.start, headerEnd),
      span: this.span(typeTok.start, close.end),
    };
  }

  /** `name { arg = value }` on one line: exactly one argument, closed on the same line. */
  private singleLineBody(open: Token): Body | undefined {
    const ident = this.tokens[this.pos];
    const next = this.tokens[this.pos + 1];
    if (ident.type !== 'ident') {
      this.report(
        'Argument or block definition required',
        'An argument or block definition is required here.',
        this.tokSpan(ident),
      );
      this.recoverAfterBodyItem();
      return undefined;
    }
    if (!(next.type === 'punct' && next.text === '=')) {
      if (startsBlock(next))
        this.report(
          'Argument definition required',
          'A single-line block definition can contain only a single argument. If you meant to define argument ' +
            `"${ident.text}", use an equals sign to assign it a value. To define a nested block, place it on a line ` +
            'of its own within its parent block.',
          this.span(ident.start, next.end),
          true,
        );
      else this.argumentRequired(ident);
      this.recoverAfterBodyItem();
      return undefined;
    }
    this.pos++;
    const attr = this.attribute(ident, true);
    const end = this.tokens[this.pos];
    if (end.type === 'punct' && end.text === '}') this.pos++;
    else if (end.type === 'punct' && end.text === ',') {
      this.report(
        'Invalid single-argument block definition',
        'Single-line block syntax can include only one argument definition. To define multiple arguments, use the ' +
          'multi-line block syntax with one argument definition per line.',
        this.tokSpan(end),
        true,
      );
      this.recoverToCloseBrace();
    } else if (end.type === 'newline') {
      this.report(
        'Invalid single-argument block definition',
        'An argument definition on the same line as its containing block creates a single-line block definition, ' +
          "which must also be closed on the same line. Place the block's closing brace immediately after the " +
          'argument definition.',
        this.tokSpan(end),
        true,
      );
      this.recoverToCloseBrace();
    } else {
      if (end.type === 'eof') this.unclosedBlock(open);
      else
        this.report(
          'Invalid single-argument block definition',
          'A single-line block definition must end with a closing brace immediately after its single argument ' +
            'definition.',
          this.tokSpan(end),
        );
      this.recoverAfterBodyItem();
    }
    return { attributes: [attr], blocks: [], span: attr.span };
  }

  private quotedLabel(): Block['labels'][number] | undefined {
    const open = this.tokens[this.pos++];
    let value = '';
    let t = this.tokens[this.pos];
    while (t.type === 'lit') {
      value += t.text;
      t = this.tokens[++this.pos];
    }
    if (t.type !== 'cquote') {
      this.report(
        'Invalid block label',
        t.type === 'interp' || t.type === 'control'
          ? 'Template sequences are not allowed in block labels; use a plain quoted string.'
          : 'A block label must be a quoted string.',
        this.tokSpan(t),
      );
      this.recoverAfterBodyItem();
      return undefined;
    }
    this.pos++;
    return { value, span: this.span(open.start, t.end) };
  }

  // --- expressions ----------------------------------------------------------------------------

  expression(): Expr {
    const cond = this.binary(0);
    if (!this.isPunct('?')) return cond;
    this.next();
    const then = this.expression();
    this.expectPunct(
      ':',
      'Missing false expression in conditional',
      'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
    );
    const els = this.expression();
    return { kind: 'conditional', cond, then, else: els, span: this.span(cond.span.start, els.span.end) };
  }

  private binary(minPrec: number): Expr {
    let left = this.unary();
    while (true) {
      const t = this.peek();
      const prec = t.type === 'punct' ? PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec <= minPrec) return left;
      this.next();
      const right = this.binary(prec);
      left = { kind: 'binary', op: t.text as BinaryOp, left, right, span: this.span(left.span.start, right.span.end) };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type === 'punct' && (t.text === '!' || t.text === '-')) {
      this.next();
      const operand = this.unary();
      return { kind: 'unary', op: t.text, operand, span: this.span(t.start, operand.span.end) };
    }
    return this.traversals(this.primary());
  }

  /** Attribute access, indexes and splats after a term; `attrOnly` after `.*` (legacy splat). */
  private traversals(expr: Expr, attrOnly = false): Expr {
    while (true) {
      const t = this.peek();
      if (t.type === 'punct' && t.text === '.') {
        this.next();
        const name = this.next();
        if (name.type === 'number') {
          if (name.text.includes('.'))
            this.fail(
              'Invalid legacy index syntax',
              'When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper ' +
                'index syntax instead, like [0][1].',
              name,
            );
          // Legacy index syntax: list.0 (also a map's key "0")
          const key: Expr = { kind: 'literal', value: HclNumber.parse(name.text)!, span: this.tokSpan(name) };
          const stepSpan = this.span(t.start, name.end);
          expr = { kind: 'index', target: expr, key, stepSpan, span: this.span(expr.span.start, name.end) };
          continue;
        }
        if (name.type === 'punct' && name.text === '*') {
          if (attrOnly)
            this.fail(
              'Nested splat expression not allowed',
              'A splat expression (*) cannot be used inside another attribute-only splat expression.',
              name,
            );
          const item: Expr = { kind: 'splatItem', span: this.span(t.start, name.end) };
          const each = this.traversals(item, true);
          expr = { kind: 'splat', source: expr, each, span: this.span(expr.span.start, each.span.end) };
          continue;
        }
        if (name.type !== 'ident')
          this.fail('Invalid attribute name', 'An attribute name is required after a dot.', name);
        expr = {
          kind: 'getattr',
          target: expr,
          name: name.text,
          stepSpan: this.span(t.start, name.end),
          span: this.span(expr.span.start, name.end),
        };
        continue;
      }
      if (t.type === 'punct' && t.text === '[' && !attrOnly) {
        this.next();
        this.nlIgnore++;
        if (this.isPunct('*')) {
          const star = this.next();
          const close = this.peek();
          if (!(close.type === 'punct' && close.text === ']'))
            this.fail(
              'Missing close bracket on splat index',
              'The star for a full splat operator must be immediately followed by a closing bracket ("]").',
              close,
            );
          this.next();
          this.nlIgnore--;
          const item: Expr = { kind: 'splatItem', span: this.span(t.start, close.end) };
          const each = this.traversals(item);
          expr = { kind: 'splat', source: expr, each, span: this.span(expr.span.start, each.span.end) };
          void star;
          continue;
        }
        const key = this.expression();
        const close = this.expectPunct(
          ']',
          'Missing close bracket on index',
          'The index operator must end with a closing bracket ("]").',
        );
        this.nlIgnore--;
        const stepSpan = this.span(t.start, close.end);
        expr = { kind: 'index', target: expr, key, stepSpan, span: this.span(expr.span.start, close.end) };
        continue;
      }
      return expr;
    }
  }

  private primary(): Expr {
    const t = this.next();
    const sp = this.tokSpan(t);
    switch (t.type) {
      case 'number':
        return { kind: 'literal', value: HclNumber.parse(t.text)!, span: sp };
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true', span: sp };
        if (t.text === 'null') return { kind: 'literal', value: null, span: sp };
        if (this.isPunct('(')) return this.call(t);
        return { kind: 'scope', name: t.text, span: sp };
      }
      case 'oquote':
        return this.template(t, 'cquote');
      case 'oheredoc':
        return this.heredoc(t);
      case 'punct':
        if (t.text === '(') {
          this.nlIgnore++;
          const inner = this.expression();
          const close = this.expectPunct(
            ')',
            'Unbalanced parentheses',
            'Expected a closing parenthesis to terminate the expression.',
          );
          this.nlIgnore--;
          return { kind: 'paren', expr: inner, span: this.span(t.start, close.end) };
        }
        if (t.text === '[') return this.tuple(t);
        if (t.text === '{') return this.object(t);
        break;
      case 'invalid': // the lexer has reported it
        this.recovery = true;
        throw new Bail();
      case 'newline':
      case 'eof':
        this.pos -= t.type === 'newline' ? 1 : 0;
        this.fail('Invalid expression', 'Expected the start of an expression, but found the end of the line.', t);
    }
    return this.fail(
      'Invalid expression',
      `Expected the start of an expression, but found ${JSON.stringify(t.text)}.`,
      t,
    );
  }

  private call(nameTok: Token): Expr {
    const open = this.next();
    this.nlIgnore++;
    const args: Expr[] = [];
    let expandFinal = false;
    while (!this.isPunct(')')) {
      args.push(this.expression());
      if (this.isPunct('...')) {
        this.next();
        expandFinal = true;
        if (!this.isPunct(')'))
          this.fail(
            'Missing closing parenthesis',
            'An expanded function argument (with ...) must be immediately followed by closing parentheses.',
            this.peek(),
          );
        break;
      }
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      if (!this.isPunct(')'))
        this.fail(
          'Missing argument separator',
          'A comma is required to separate each function argument from the next.',
          this.peek(),
        );
    }
    const close = this.next();
    this.nlIgnore--;
    return {
      kind: 'call',
      name: nameTok.text,
      nameSpan: this.tokSpan(nameTok),
      headSpan: this.span(nameTok.start, open.end),
      closeSpan: this.tokSpan(close),
      args,
      expandFinal,
      span: this.span(nameTok.start, close.end),
    };
  }

  private tuple(open: Token): Expr {
    this.nlIgnore++;
    if (this.isKeyword('for')) return this.forExpr(open, ']');
    const items: Expr[] = [];
    while (!this.isPunct(']')) {
      items.push(this.expression());
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(']'))
        this.fail('Missing item separator', 'Expected a comma to mark the beginning of the next item.', this.peek());
    }
    const close = this.next();
    this.nlIgnore--;
    return { kind: 'tuple', items, span: this.span(open.start, close.end) };
  }

  private object(open: Token): Expr {
    const saved = this.nlIgnore;
    this.nlIgnore = 0;
    this.skipNewlines();
    if (this.isKeyword('for')) {
      this.nlIgnore = saved + 1;
      const e = this.forExpr(open, '}');
      this.nlIgnore = saved;
      return e;
    }
    const items: ObjectItem[] = [];
    while (true) {
      this.skipNewlines();
      if (this.isPunct('}')) break;
      const keyTok = this.peek();
      let key: Expr;
      // A bare name before = or : is the key itself (`null = 1` is the key "null"), as in HCL.
      if (keyTok.type === 'ident') {
        const save = this.pos;
        this.next();
        if (this.isPunct('=') || this.isPunct(':'))
          key = { kind: 'literal', value: keyTok.text, span: this.tokSpan(keyTok) };
        else {
          this.pos = save;
          key = this.expression();
        }
      } else key = this.expression();
      if (!this.isPunct('=') && !this.isPunct(':'))
        this.fail(
          'Missing key/value separator',
          'Expected an equals sign ("=") to mark the beginning of the attribute value.',
          this.peek(),
        );
      this.next();
      const value = this.expression();
      items.push({ key, value });
      const sep = this.peek();
      if (sep.type === 'punct' && sep.text === ',') this.next();
      else if (sep.type === 'newline') this.skipNewlines();
      else if (!(sep.type === 'punct' && sep.text === '}'))
        this.fail(
          'Missing attribute separator',
          'Expected a newline or comma to mark the beginning of the next attribute.',
          sep,
        );
    }
    const close = this.next();
    this.nlIgnore = saved;
    return { kind: 'object', items, span: this.span(open.start, close.end) };
  }

  private skipNewlines(): void {
    while (this.tokens[this.pos].type === 'newline') this.pos++;
  }

  private forHeader(what: string): { keyVar?: string; valueVar: string; collection: Expr } {
    this.next(); // for
    const v1 = this.next();
    if (v1.type !== 'ident') this.fail(`Invalid ${what}`, `${what} requires a variable name after "for".`, v1);
    let keyVar: string | undefined;
    let valueVar = v1.text;
    if (this.isPunct(',')) {
      this.next();
      const v2 = this.next();
      if (v2.type !== 'ident')
        this.fail(`Invalid ${what}`, `${what} requires a value variable name after the comma.`, v2);
      keyVar = v1.text;
      valueVar = v2.text;
    }
    const inTok = this.next();
    if (inTok.type !== 'ident' || inTok.text !== 'in')
      this.fail(`Invalid ${what}`, `${what} requires the "in" keyword after its name declarations.`, inTok);
    return { keyVar, valueVar, collection: this.expression() };
  }

  private forExpr(open: Token, closer: ']' | '}'): Expr {
    const { keyVar, valueVar, collection } = this.forHeader('for expression');
    this.expectPunct(':', 'Invalid for expression', 'For expression requires a colon after the collection expression.');
    let keyExpr: Expr | undefined;
    let valueExpr = this.expression();
    if (closer === '}') {
      this.expectPunct(
        '=>',
        'Invalid for expression',
        'An object-producing for expression requires "=>" between the key and the value.',
      );
      keyExpr = valueExpr;
      valueExpr = this.expression();
    }
    let grouping = false;
    if (this.isPunct('...')) {
      const dots = this.next();
      if (closer === ']')
        this.fail("Invalid 'for' expression", 'Grouping ellipsis (...) cannot be used when building a tuple.', dots);
      grouping = true;
    }
    let cond: Expr | undefined;
    if (this.isKeyword('if')) {
      this.next();
      cond = this.expression();
    }
    const close = this.expectPunct(
      closer,
      'Invalid for expression',
      `Expected a closing "${closer}" to end the for expression.`,
    );
    this.nlIgnore--;
    return {
      kind: 'for',
      keyVar,
      valueVar,
      collection,
      keyExpr,
      valueExpr,
      cond,
      grouping,
      span: this.span(open.start, close.end),
    };
  }

  // --- templates ------------------------------------------------------------------------------

  private template(open: Token, closeType: 'cquote' | 'cheredoc' | 'eof', flush = false): TemplateExpr {
    const saved = this.nlIgnore;
    this.nlIgnore = 0;
    const tokens = this.templateTokens(closeType, flush);
    const close = this.tokens[this.pos - 1];
    this.nlIgnore = saved;
    const parts = new TemplateBuilder(tokens, this).build(this.tokSpan(close));
    const lead = tokens[0]?.kind === 'lit' && typeof parts[0] === 'string' ? { leadSpan: tokens[0].span } : {};
    return { kind: 'template', parts, ...lead, span: this.span(open.start, close.end) };
  }

  bareTemplate(first: Token): TemplateExpr {
    return this.template(first, 'eof');
  }

  private heredoc(open: Token): TemplateExpr {
    return this.template(open, 'cheredoc', open.flush === true);
  }

  /** The template's pieces in order, with strip markers and `<<-` indentation already applied. */
  private templateTokens(closeType: 'cquote' | 'cheredoc' | 'eof', flush: boolean): TemplatePiece[] {
    const pieces: TemplatePiece[] = [];
    let trimNext = false;
    while (true) {
      const t = this.tokens[this.pos];
      if (t.type === closeType) {
        this.pos++;
        break;
      }
      if (t.type === 'lit') {
        this.pos++;
        pieces.push({ kind: 'lit', text: trimNext ? t.text.replace(/^\s+/u, '') : t.text, span: this.tokSpan(t) });
        trimNext = false;
        continue;
      }
      trimNext = false;
      if (t.type === 'interp' || t.type === 'control') {
        this.pos++;
        if (t.text.endsWith('~')) {
          const prev = pieces[pieces.length - 1];
          if (prev?.kind === 'lit') prev.text = prev.text.replace(/\s+$/u, '');
        }
        this.nlIgnore = 1;
        const piece = t.type === 'interp' ? this.interpolation(t) : this.directive(t);
        this.nlIgnore = 0;
        const end = this.peek();
        if (end.type === 'oquote' || end.type === 'eof') {
          this.recovery = true; // the lexer has reported the unclosed interpolation
          throw new Bail();
        }
        if (end.type !== 'interpEnd')
          this.fail(
            'Extra characters after interpolation expression',
            'Expected a closing brace to end the interpolation expression, but found extra characters.',
            end,
          );
        this.pos++;
        trimNext = end.text.startsWith('~');
        // A directive's range runs to its closing brace, as HCL reports it.
        if (piece.kind !== 'interp') piece.span = this.span(t.start, end.end);
        pieces.push(piece);
        continue;
      }
      // The lexer has reported the unterminated template.
      this.recovery = true;
      throw new Bail();
    }
    if (flush) flushIndentation(pieces);
    return pieces;
  }

  private interpolation(open: Token): TemplatePiece {
    return { kind: 'interp', expr: this.expression(), span: this.tokSpan(open) };
  }

  private directive(open: Token): TemplatePiece {
    const kw = this.peek();
    const at = this.span(open.start, kw.end);
    if (kw.type === 'ident' && kw.text === 'if') {
      this.next();
      return { kind: 'if', cond: this.expression(), span: at };
    }
    if (kw.type === 'ident' && kw.text === 'for') {
      const header = this.forHeader('template for directive');
      return { kind: 'for', ...header, span: at };
    }
    if (kw.type === 'ident' && (kw.text === 'else' || kw.text === 'endif' || kw.text === 'endfor')) {
      this.next();
      return { kind: kw.text, span: at };
    }
    return this.fail(
      'Invalid template directive',
      'A template directive keyword ("if", "for", etc) is expected at the beginning of a %{ sequence.',
      kw,
    );
  }

  /** For TemplateBuilder: reports a structural template error and goes on. */
  templateReport(summary: string, detail: string, span: Span): void {
    this.report(summary, detail, span);
  }

  /** For TemplateBuilder: reports a structural template error and bails out of the expression. */
  templateError(summary: string, detail: string, span: Span): never {
    this.report(summary, detail, span);
    this.recovery = true;
    throw new Bail();
  }
}

type TemplatePiece =
  | { kind: 'lit'; text: string; span: Span }
  | { kind: 'interp'; expr: Expr; span: Span }
  | { kind: 'if'; cond: Expr; span: Span }
  | { kind: 'for'; keyVar?: string; valueVar: string; collection: Expr; span: Span }
  | { kind: 'else' | 'endif' | 'endfor'; span: Span };

/** `<<-`: removes the smallest indentation of the lines, as HCL counts it (see the spec suite). */
function flushIndentation(pieces: TemplatePiece[]): void {
  let min = Infinity;
  let atLineStart = true;
  const adjust: Extract<TemplatePiece, { kind: 'lit' }>[] = [];
  for (const piece of pieces) {
    if (atLineStart) {
      atLineStart = false;
      let spaces = 0;
      if (piece.kind === 'lit') {
        const lead = /^\s*/u.exec(piece.text)![0];
        if (lead.length === piece.text.length && piece.text.endsWith('\n')) spaces = Infinity;
        else {
          spaces = graphemes(lead);
          adjust.push(piece);
        }
      }
      // A line that starts with an interpolation or directive has no indentation: nothing is removed.
      min = Math.min(min, spaces);
    }
    if (piece.kind === 'lit' && piece.text.endsWith('\n')) atLineStart = true;
  }
  if (!Number.isFinite(min) || min === 0) return;
  for (const piece of adjust) piece.text = piece.text.slice(graphemePrefixLength(piece.text, min));
}

/** Nests `%{ if }`/`%{ for }` directives into template parts. */
class TemplateBuilder {
  private i = 0;
  constructor(
    private pieces: TemplatePiece[],
    private parser: Parser,
  ) {}

  private end!: Span;

  /** `end`: the template's closing token, where a directive left open is reported. */
  build(end: Span): (string | Expr)[] {
    this.end = end;
    return this.sequence(undefined);
  }

  private sequence(until: 'if' | 'for' | undefined): (string | Expr)[] {
    const parts: (string | Expr)[] = [];
    while (this.i < this.pieces.length) {
      const p = this.pieces[this.i];
      if (p.kind === 'else' || p.kind === 'endif' || p.kind === 'endfor') {
        const fits =
          (until === 'if' && (p.kind === 'else' || p.kind === 'endif')) || (until === 'for' && p.kind === 'endfor');
        if (fits) return parts;
        this.parser.templateError(
          `Unexpected ${p.kind} directive`,
          `The "${p.kind}" directive has no matching ${p.kind === 'endfor' ? '"for"' : '"if"'} directive.`,
          p.span,
        );
      }
      this.i++;
      if (p.kind === 'lit') {
        if (p.text) {
          if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += p.text;
          else parts.push(p.text);
        }
      } else if (p.kind === 'interp') parts.push(p.expr);
      else if (p.kind === 'if') parts.push(this.ifDirective(p));
      else if (p.kind === 'for') parts.push(this.forDirective(p));
    }
    if (until)
      this.parser.templateError(
        'Unexpected end of template',
        `The template ends before the "end${until}" directive that closes its "${until}".`,
        this.end,
      );
    return parts;
  }

  private ifDirective(p: Extract<TemplatePiece, { kind: 'if' }>): Expr {
    const thenParts = this.sequence('if');
    let elseParts: (string | Expr)[] | undefined;
    if (this.pieces[this.i]?.kind === 'else') {
      this.i++;
      elseParts = this.sequence('if');
      // A second "else" ends the "if" where it stands (what follows is outside it), as in HCL.
      if (this.pieces[this.i]?.kind === 'else')
        this.parser.templateReport(
          'Unexpected else directive',
          'An "if" has only one "else".',
          this.pieces[this.i].span,
        );
    }
    const end = this.pieces[this.i++];
    const wrap = (parts: (string | Expr)[]): TemplateExpr => ({ kind: 'template', parts, span: p.span });
    return {
      kind: 'templateIf',
      cond: p.cond,
      then: wrap(thenParts),
      ...(elseParts ? { else: wrap(elseParts) } : {}),
      span: p.span.file.span(p.span.start, end.span.end),
    };
  }

  private forDirective(p: Extract<TemplatePiece, { kind: 'for' }>): Expr {
    const body = this.sequence('for');
    const end = this.pieces[this.i++];
    return {
      kind: 'templateFor',
      keyVar: p.keyVar,
      valueVar: p.valueVar,
      collection: p.collection,
      body: { kind: 'template', parts: body, span: p.span },
      span: p.span.file.span(p.span.start, end.span.end),
    };
  }
}

/** What may follow a block's type: a label or its opening brace. */
function startsBlock(t: Token): boolean {
  return t.type === 'oquote' || t.type === 'ident' || (t.type === 'punct' && t.text === '{');
}

function bracketKind(t: Token): 'open' | 'close' | undefined {
  if (t.type === 'punct' && t.text in OPENERS) return 'open';
  if (t.type === 'punct' && (t.text === '}' || t.text === ']' || t.text === ')')) return 'close';
  if (t.type === 'oquote' || t.type === 'oheredoc' || t.type === 'interp' || t.type === 'control') return 'open';
  if (t.type === 'cquote' || t.type === 'cheredoc' || t.type === 'interpEnd') return 'close';
  return undefined;
}

function opener(t: Token): string {
  switch (t.type) {
    case 'cquote':
    case 'oquote':
      return '"';
    case 'cheredoc':
    case 'oheredoc':
      return '<<';
    case 'interp':
    case 'control':
    case 'interpEnd':
      return '${';
    default:
      return t.text === '}' ? '{' : t.text === ']' ? '[' : t.text === ')' ? '(' : t.text;
  }
}
