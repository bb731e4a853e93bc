// HCL's JSON syntax (`*.h2k.hcl.json`, what generators write): a JSON object is a body, and which of
// its properties are blocks is told by the schema, as in HCL. A block's labels are nested object
// keys; an array gives several blocks of one type. Attribute values: strings are templates
// (`"${var.x}"` interpolates), numbers, bools, null, arrays and objects are what they are in JSON.
// A `"//"` property is a comment. The result is the same syntax tree the native parser builds.
import type { Attribute, Block, Body, Expr, ObjectItem } from './ast.js';
import { DiagnosticError } from './diagnostics.js';
import { HclNumber } from './number.js';
import { parseExpression, parseTemplateText, type ParseResult } from './parser.js';
import { SourceFile, type Span } from './source-file.js';

export interface JsonBodySchema {
  /** How many labels a block of the last type in `path` has, or undefined when it is an attribute. */
  labels(path: string[]): number | undefined;
  /** Attributes whose JSON string holds a native expression (like a variable's `type`). */
  nativeExpression?(path: string[], name: string): boolean;
}

export type JsonNode =
  | { kind: 'object'; props: { key: string; keySpan: Span; value: JsonNode }[]; span: Span }
  | { kind: 'array'; items: JsonNode[]; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'number'; text: string; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'null'; span: Span };

/** A JSON document with every value's position; throws a DiagnosticError where it is not JSON. */
export function readJson(file: SourceFile): JsonNode {
  return new JsonReader(file).document();
}

export function parseJsonFile(file: SourceFile, schema: JsonBodySchema): ParseResult {
  const errors: DiagnosticError[] = [];
  const empty: Body = { attributes: [], blocks: [], span: file.span(0, 0) };
  let root: JsonNode;
  try {
    root = readJson(file);
  } catch (err) {
    if (!(err instanceof DiagnosticError)) throw err;
    return { body: empty, errors: [err] };
  }
  if (root.kind !== 'object') {
    errors.push(new DiagnosticError('Invalid JSON body', 'The root of the file must be a JSON object.', root.span));
    return { body: empty, errors };
  }
  return { body: new BodyBuilder(file, schema, errors).body(root, []), errors };
}

class BodyBuilder {
  constructor(
    private file: SourceFile,
    private schema: JsonBodySchema,
    private errors: DiagnosticError[],
  ) {}

  body(node: Extract<JsonNode, { kind: 'object' }>, path: string[]): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const seen = new Map<string, Span>();
    for (const { key, keySpan, value } of node.props) {
      if (key === '//') continue;
      const labels = this.schema.labels([...path, key]);
      if (labels !== undefined) {
        this.blocks(key, keySpan, value, labels, [], [...path, key], blocks);
        continue;
      }
      const earlier = seen.get(key);
      if (earlier) {
        const at = this.file.pos(earlier.start);
        this.errors.push(
          new DiagnosticError(
            'Attribute redefined',
            `The argument "${key}" was already set at ${this.file.filename}:${at.line}:${at.column}. Each argument ` +
              'may be set only once.',
            keySpan,
          ),
        );
        continue;
      }
      seen.set(key, keySpan);
      const expr = this.schema.nativeExpression?.(path, key) ? this.native(value) : this.expression(value);
      if (expr)
        attributes.push({ name: key, nameSpan: keySpan, expr, span: this.file.span(keySpan.start, value.span.end) });
    }
    return { attributes, blocks, span: node.span };
  }

  private blocks(
    type: string,
    typeSpan: Span,
    value: JsonNode,
    labelsLeft: number,
    labels: Block['labels'],
    path: string[],
    out: Block[],
  ): void {
    if (value.kind === 'array') {
      for (const item of value.items) this.blocks(type, typeSpan, item, labelsLeft, labels, path, out);
      return;
    }
    if (value.kind !== 'object') {
      const what = labelsLeft > 0 ? 'an object whose keys are its labels' : 'an object (its body)';
      this.errors.push(new DiagnosticError('Invalid block', `A "${type}" block must be ${what}.`, value.span));
      return;
    }
    if (labelsLeft > 0) {
      for (const p of value.props)
        this.blocks(type, typeSpan, p.value, labelsLeft - 1, [...labels, { value: p.key, span: p.keySpan }], path, out);
      return;
    }
    const header = labels.length ? labels[labels.length - 1].span : typeSpan;
    out.push({
      type,
      typeSpan,
      labels,
      body: this.body(value, path),
      headerSpan: this.file.span(typeSpan.start, header.end),
      span: this.file.span(typeSpan.start, value.span.end),
    });
  }

  private expression(node: JsonNode): Expr | undefined {
    switch (node.kind) {
      case 'string':
        return this.template(node);
      case 'number':
        return { kind: 'literal', value: HclNumber.parse(node.text)!, span: node.span };
      case 'bool':
        return { kind: 'literal', value: node.value, span: node.span };
      case 'null':
        return { kind: 'literal', value: null, span: node.span };
      case 'array': {
        const items = node.items.map((i) => this.expression(i));
        return items.every((i) => i) ? { kind: 'tuple', items: items as Expr[], span: node.span } : undefined;
      }
      case 'object': {
        const items: ObjectItem[] = [];
        for (const p of node.props) {
          const value = this.expression(p.value);
          if (!value) return undefined;
          items.push({ key: { kind: 'literal', value: p.key, span: p.keySpan }, value });
        }
        return { kind: 'object', items, span: node.span };
      }
    }
  }

  private template(node: Extract<JsonNode, { kind: 'string' }>): Expr | undefined {
    if (!node.value.includes('${') && !node.value.includes('%{'))
      return { kind: 'template', parts: node.value ? [node.value.normalize('NFC')] : [], span: node.span };
    const { expr, errors } = parseTemplateText(this.file.embedded(node.span.start + 1, node.value), 0);
    this.errors.push(...errors);
    return expr && { ...expr, span: node.span };
  }

  private native(node: JsonNode): Expr | undefined {
    if (node.kind !== 'string') return this.expression(node);
    try {
      return parseExpression(this.file.embedded(node.span.start + 1, node.value));
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      this.errors.push(err);
      return undefined;
    }
  }
}

const JSON_NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const JSON_STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;

/** A JSON reader that keeps every value's position (JSON.parse forgets them). */
class JsonReader {
  private i = 0;
  constructor(private file: SourceFile) {}

  private get src(): string {
    return this.file.text;
  }

  private fail(summary: string, detail: string, at = this.i): never {
    throw new DiagnosticError(summary, detail, this.file.span(at, Math.min(at + 1, this.src.length)));
  }

  private ws(): void {
    while (this.i < this.src.length && ' \t\r\n'.includes(this.src[this.i])) this.i++;
  }

  document(): JsonNode {
    const v = this.value();
    this.ws();
    if (this.i < this.src.length)
      this.fail('Extraneous data after value', 'Extra characters appear after the JSON value.');
    return v;
  }

  private value(): JsonNode {
    this.ws();
    const start = this.i;
    const c = this.src[this.i];
    if (c === '{') return this.object();
    if (c === '[') {
      const items: JsonNode[] = [];
      this.members(']', () => items.push(this.value()), [
        'Missing array element separator',
        'A comma or closing bracket is required here.',
      ]);
      return { kind: 'array', items, span: this.file.span(start, this.i) };
    }
    if (c === '"') {
      const value = this.string();
      return { kind: 'string', value, span: this.file.span(start, this.i) };
    }
    JSON_NUMBER.lastIndex = this.i;
    const m = JSON_NUMBER.exec(this.src);
    if (m) {
      this.i += m[0].length;
      return { kind: 'number', text: m[0], span: this.file.span(start, this.i) };
    }
    for (const [word, node] of [
      ['true', { kind: 'bool', value: true }],
      ['false', { kind: 'bool', value: false }],
      ['null', { kind: 'null' }],
    ] as const)
      if (this.src.startsWith(word, this.i)) {
        this.i += word.length;
        return { ...node, span: this.file.span(start, this.i) } as JsonNode;
      }
    if (this.i >= this.src.length) this.fail('Missing JSON value', 'The file ends where a value is expected.');
    return this.fail(
      'Invalid JSON value',
      'A JSON value (object, array, string, number, true, false, null) is expected.',
    );
  }

  private object(): JsonNode {
    const start = this.i;
    const props: { key: string; keySpan: Span; value: JsonNode }[] = [];
    this.members(
      '}',
      () => {
        this.ws();
        if (this.src[this.i] !== '"') this.fail('Invalid JSON object key', 'An object key must be a quoted string.');
        const keyStart = this.i;
        const key = this.string();
        const keySpan = this.file.span(keyStart, this.i);
        this.ws();
        if (this.src[this.i] !== ':')
          this.fail('Missing property value colon', 'A colon must follow the property name.');
        this.i++;
        props.push({ key, keySpan, value: this.value() });
      },
      ['Missing attribute separator', 'A comma or closing brace is required here.'],
    );
    return { kind: 'object', props, span: this.file.span(start, this.i) };
  }

  /** From the opening bracket past `close`: members read by `member`, separated by commas. */
  private members(close: string, member: () => void, missing: [string, string]): void {
    this.i++;
    this.ws();
    if (this.src[this.i] === close) {
      this.i++;
      return;
    }
    while (true) {
      member();
      this.ws();
      const c = this.src[this.i++];
      if (c === close) return;
      if (c !== ',') this.fail(missing[0], missing[1], this.i - 1);
    }
  }

  private string(): string {
    const start = this.i;
    JSON_STRING.lastIndex = this.i;
    const m = JSON_STRING.exec(this.src);
    if (!m) this.fail('Invalid JSON string', 'The string is not terminated, or holds an invalid escape.', start);
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }
}
