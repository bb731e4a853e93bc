// Recursive-descent parser for HCL native syntax: bodies (attributes and blocks) and expressions.
import type { Attribute, BinaryOp, Block, Body, Expr, ObjectItem } from './ast.js';
import { DiagnosticError } from './diagnostics.js';
import { tokenize, type Token } from './lexer.js';
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

export function parseFile(file: SourceFile): Body {
  return new Parser(file, tokenize(file)).parseBody(true);
}

/** Parses a lone expression, e.g. a `-var name=VALUE` value for a non-string variable. */
export function parseExpression(file: SourceFile): Expr {
  const p = new Parser(file, tokenize(file));
  const expr = p.expression();
  p.expectEnd();
  return expr;
}

class Parser {
  private pos = 0;
  /** >0 inside ( ) and [ ]: newlines there are insignificant. */
  private nlIgnore = 0;

  constructor(
    private file: SourceFile,
    private tokens: Token[],
  ) {}

  private span(start: number, end: number): Span {
    return this.file.span(start, end);
  }

  private fail(summary: string, detail: string, tok: Token): never {
    throw new DiagnosticError(summary, detail, this.span(tok.start, Math.max(tok.end, tok.start + 1)));
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

  private expectPunct(text: string, summary: string, detail: string): Token {
    const t = this.peek();
    if (t.type !== 'punct' || t.text !== text) this.fail(summary, detail, t);
    return this.next();
  }

  private skipNewlines(): void {
    while (this.tokens[this.pos].type === 'newline') this.pos++;
  }

  expectEnd(): void {
    this.skipNewlines();
    const t = this.peek();
    if (t.type !== 'eof')
      this.fail(
        'Extra characters after expression',
        'An expression was successfully parsed, but extra characters were found after it.',
        t,
      );
  }

  parseBody(topLevel: boolean): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const start = this.tokens[this.pos].start;
    while (true) {
      this.skipNewlines();
      const t = this.peek();
      if (t.type === 'eof') {
        if (!topLevel)
          this.fail(
            'Unclosed configuration block',
            'There is no closing brace for this block before the end of the file.',
            t,
          );
        break;
      }
      if (t.type === 'punct' && t.text === '}') {
        if (topLevel)
          this.fail('Argument or block definition required', 'An argument or block definition is required here.', t);
        break;
      }
      if (t.type !== 'ident')
        this.fail(
          'Argument or block definition required',
          'An argument or block definition is required here. To set an argument, use the equals sign "=" to ' +
            'introduce the argument value.',
          t,
        );
      this.next();
      const after = this.peek();
      if (after.type === 'punct' && after.text === '=') {
        this.next();
        const expr = this.expression();
        const end = this.peek();
        if (!(end.type === 'newline' || end.type === 'eof' || (end.type === 'punct' && end.text === '}')))
          this.fail('Missing newline after argument', 'An argument definition must end with a newline.', end);
        attributes.push({
          name: t.text,
          nameSpan: this.span(t.start, t.end),
          expr,
          span: this.span(t.start, expr.span.end),
        });
        continue;
      }
      blocks.push(this.block(t));
    }
    return { attributes, blocks, span: this.span(start, this.tokens[this.pos].start) };
  }

  private block(typeTok: Token): Block {
    const labels: Block['labels'] = [];
    let headerEnd = typeTok.end;
    while (true) {
      const t = this.peek();
      if (t.type === 'ident') {
        this.next();
        labels.push({ value: t.text, span: this.span(t.start, t.end) });
        headerEnd = t.end;
        continue;
      }
      if (t.type === 'oquote') {
        const open = this.next();
        const lit = this.peek();
        let value = '';
        if (lit.type === 'lit') {
          value = lit.text;
          this.next();
        }
        const close = this.next();
        if (close.type !== 'cquote')
          this.fail(
            'Invalid block label',
            'Template sequences are not allowed in block labels; use a plain quoted string.',
            close,
          );
        labels.push({ value, span: this.span(open.start, close.end) });
        headerEnd = close.end;
        continue;
      }
      break;
    }
    const open = this.peek();
    if (open.type !== 'punct' || open.text !== '{') {
      if (open.type === 'newline' || open.type === 'eof')
        this.fail(
          'Invalid block definition',
          'A block definition must have block content delimited by "{" and "}", starting on the same line as ' +
            'the block header.',
          open,
        );
      this.fail(
        'Invalid argument or block definition',
        `Expected "=" to set an argument, or "{" to open a "${typeTok.text}" block.`,
        open,
      );
    }
    this.next();
    const body = this.parseBody(false);
    const close = this.next(); // '}'
    return {
      type: typeTok.text,
      typeSpan: this.span(typeTok.start, typeTok.end),
      labels,
      body,
      headerSpan: this.span(typeTok.start, headerEnd),
      span: this.span(typeTok.start, close.end),
    };
  }

  expression(): Expr {
    const cond = this.binary(0);
    if (!this.isPunct('?')) return cond;
    this.next();
    this.nlIgnore++;
    const then = this.expression();
    this.expectPunct(
      ':',
      'Missing false expression in conditional',
      'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
    );
    this.nlIgnore--;
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
    return this.postfix(this.primary());
  }

  private postfix(expr: Expr): Expr {
    while (true) {
      const t = this.peek();
      if (t.type === 'punct' && t.text === '.') {
        this.next();
        const name = this.next();
        if (name.type === 'number') {
          // Legacy index syntax: list.0
          const key: Expr = { kind: 'literal', value: Number(name.text), span: this.span(name.start, name.end) };
          expr = { kind: 'index', target: expr, key, span: this.span(expr.span.start, name.end) };
          continue;
        }
        if (name.type === 'punct' && name.text === '*')
          this.fail(
            'Unsupported splat expression',
            'Splat expressions (.*) are not supported; use a for expression instead.',
            name,
          );
        if (name.type !== 'ident')
          this.fail('Invalid attribute name', 'An attribute name is required after a dot.', name);
        expr = {
          kind: 'getattr',
          target: expr,
          name: name.text,
          nameSpan: this.span(name.start, name.end),
          span: this.span(expr.span.start, name.end),
        };
        continue;
      }
      if (t.type === 'punct' && t.text === '[') {
        this.next();
        this.nlIgnore++;
        if (this.isPunct('*'))
          this.fail(
            'Unsupported splat expression',
            'Splat expressions ([*]) are not supported; use a for expression instead.',
            this.peek(),
          );
        const key = this.expression();
        const close = this.expectPunct(
          ']',
          'Missing close bracket on index',
          'The index operator must end with a closing bracket ("]").',
        );
        this.nlIgnore--;
        expr = { kind: 'index', target: expr, key, span: this.span(expr.span.start, close.end) };
        continue;
      }
      return expr;
    }
  }

  private primary(): Expr {
    const t = this.next();
    const sp = this.span(t.start, t.end);
    switch (t.type) {
      case 'number':
        return { kind: 'literal', value: Number(t.text), span: sp };
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true', span: sp };
        if (t.text === 'null') return { kind: 'literal', value: null, span: sp };
        if (this.isPunct('(') && this.tokens[this.pos].start === t.end) return this.call(t);
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
      case 'newline':
      case 'eof':
        this.fail('Invalid expression', 'Expected the start of an expression, but found the end of the line.', t);
    }
    return this.fail(
      'Invalid expression',
      `Expected the start of an expression, but found ${JSON.stringify(t.text)}.`,
      t,
    );
  }

  private call(nameTok: Token): Expr {
    this.next(); // (
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
      nameSpan: this.span(nameTok.start, nameTok.end),
      args,
      expandFinal,
      span: this.span(nameTok.start, close.end),
    };
  }

  private tuple(open: Token): Expr {
    this.nlIgnore++;
    if (this.peek().type === 'ident' && this.peek().text === 'for') return this.forExpr(open, ']');
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
    if (this.peek().type === 'ident' && this.peek().text === 'for') {
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
      if (keyTok.type === 'ident' && !['true', 'false', 'null'].includes(keyTok.text)) {
        const save = this.pos;
        this.next();
        if (this.isPunct('=') || this.isPunct(':'))
          key = { kind: 'literal', value: keyTok.text, span: this.span(keyTok.start, keyTok.end) };
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

  private forExpr(open: Token, closer: ']' | '}'): Expr {
    this.next(); // for
    const v1 = this.next();
    if (v1.type !== 'ident')
      this.fail('Invalid for expression', 'For expression requires a variable name after "for".', v1);
    let keyVar: string | undefined;
    let valueVar = v1.text;
    if (this.isPunct(',')) {
      this.next();
      const v2 = this.next();
      if (v2.type !== 'ident')
        this.fail('Invalid for expression', 'For expression requires a value variable name after the comma.', v2);
      keyVar = v1.text;
      valueVar = v2.text;
    }
    const inTok = this.next();
    if (inTok.type !== 'ident' || inTok.text !== 'in')
      this.fail(
        'Invalid for expression',
        'For expression requires the "in" keyword after its name declarations.',
        inTok,
      );
    const collection = this.expression();
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
      this.next();
      grouping = true;
    }
    let cond: Expr | undefined;
    if (this.peek().type === 'ident' && this.peek().text === 'if') {
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

  private template(open: Token, closeType: 'cquote' | 'cheredoc'): Expr {
    const parts: (string | Expr)[] = [];
    const saved = this.nlIgnore;
    this.nlIgnore = 0;
    while (true) {
      const t = this.tokens[this.pos++];
      if (t.type === closeType) {
        this.nlIgnore = saved;
        return { kind: 'template', parts, span: this.span(open.start, t.end) };
      }
      if (t.type === 'lit') parts.push(t.text);
      else if (t.type === 'interp') {
        this.nlIgnore = 1;
        parts.push(this.expression());
        const end = this.peek();
        if (end.type !== 'interpEnd')
          this.fail(
            'Extra characters after interpolation expression',
            'Expected a closing brace to end the interpolation expression.',
            end,
          );
        this.next();
        this.nlIgnore = 0;
      } else this.fail('Invalid template', 'Unexpected token in template.', t);
    }
  }

  private heredoc(open: Token): Expr {
    const tmpl = this.template(open, 'cheredoc') as Extract<Expr, { kind: 'template' }>;
    if (!open.flush) return tmpl;
    // <<- strips the smallest indentation found at the start of any literal line.
    let min = Infinity;
    let atLineStart = true;
    for (const part of tmpl.parts) {
      if (typeof part !== 'string') {
        atLineStart = false;
        continue;
      }
      const lines = part.split('\n');
      lines.forEach((line, idx) => {
        if ((idx > 0 || atLineStart) && line.trim() !== '') min = Math.min(min, /^[ \t]*/.exec(line)![0].length);
      });
      atLineStart = part.endsWith('\n');
    }
    if (!Number.isFinite(min) || min === 0) return tmpl;
    atLineStart = true;
    const parts = tmpl.parts.map((part) => {
      if (typeof part !== 'string') {
        atLineStart = false;
        return part;
      }
      const out = part
        .split('\n')
        .map((line, idx) =>
          idx > 0 || atLineStart ? line.slice(Math.min(min, /^[ \t]*/.exec(line)![0].length)) : line,
        )
        .join('\n');
      atLineStart = part.endsWith('\n');
      return out;
    });
    return { ...tmpl, parts };
  }
}
