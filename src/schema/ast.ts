// Syntax tree of an HCL file. Every node keeps its span so any later stage can point at it.
import type { HclNumber } from './number.js';
import type { Span } from './source-file.js';

export type Expr =
  | { kind: 'literal'; value: null | boolean | HclNumber | string; span: Span }
  | TemplateExpr
  | { kind: 'templateIf'; cond: Expr; then: TemplateExpr; else?: TemplateExpr; span: Span }
  | { kind: 'templateFor'; keyVar?: string; valueVar: string; collection: Expr; body: TemplateExpr; span: Span }
  | { kind: 'scope'; name: string; span: Span }
  /** stepSpan: the `.name` or `[key]` step, dot or brackets included, where HCL points its errors. */
  | { kind: 'getattr'; target: Expr; name: string; stepSpan: Span; span: Span }
  | { kind: 'index'; target: Expr; key: Expr; stepSpan: Span; span: Span }
  /** headSpan: the name and "(", closeSpan: ")" — where HCL points a call's errors. */
  | {
      kind: 'call';
      name: string;
      nameSpan: Span;
      headSpan: Span;
      closeSpan: Span;
      args: Expr[];
      expandFinal: boolean;
      span: Span;
    }
  | { kind: 'tuple'; items: Expr[]; span: Span }
  | { kind: 'object'; items: ObjectItem[]; span: Span }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'conditional'; cond: Expr; then: Expr; else: Expr; span: Span }
  | { kind: 'paren'; expr: Expr; span: Span }
  /** `source[*].each` or `source.*.each`: `each` is evaluated once per element, on a splatItem. */
  | { kind: 'splat'; source: Expr; each: Expr; span: Span }
  | { kind: 'splatItem'; span: Span }
  | ForExpr
  | TypeExpr;

/** A quoted string or heredoc: literal text and interpolations; directives are parts too. */
export interface TemplateExpr {
  kind: 'template';
  parts: (string | Expr)[];
  /** The literal text it starts with, as written (HCL's errors about an argument point there). */
  leadSpan?: Span;
  span: Span;
}

export interface ObjectItem {
  /** A bare identifier key is a literal name, not a variable reference. */
  key: Expr;
  value: Expr;
}

export interface ForExpr {
  kind: 'for';
  keyVar?: string;
  valueVar: string;
  collection: Expr;
  keyExpr?: Expr; // present for object results: {for k, v in m : k => v}
  valueExpr: Expr;
  cond?: Expr;
  grouping: boolean;
  span: Span;
}

/** Only produced when parsing a variable's `type` constraint. */
export interface TypeExpr {
  kind: 'type';
  type: TypeConstraint;
  span: Span;
}

export type TypeConstraint =
  | { kind: 'string' | 'number' | 'bool' | 'any' }
  | { kind: 'list' | 'set' | 'map'; element: TypeConstraint }
  | { kind: 'object'; attributes: Record<string, TypeConstraint> };

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface Attribute {
  name: string;
  nameSpan: Span;
  expr: Expr;
  span: Span;
}

export interface Block {
  type: string;
  typeSpan: Span;
  labels: { value: string; span: Span }[];
  body: Body;
  /** From the type keyword to the last label: where "this block" diagnostics point. */
  headerSpan: Span;
  span: Span;
}

export interface Body {
  attributes: Attribute[];
  blocks: Block[];
  span: Span;
}
