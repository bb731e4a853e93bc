// Syntax tree of an HCL file. Every node keeps its span so any later stage can point at it.
import type { Span } from './source-file.js';

export type Expr =
  | { kind: 'literal'; value: null | boolean | number | string; span: Span }
  | { kind: 'template'; parts: (string | Expr)[]; span: Span }
  | { kind: 'scope'; name: string; span: Span }
  | { kind: 'getattr'; target: Expr; name: string; nameSpan: Span; span: Span }
  | { kind: 'index'; target: Expr; key: Expr; span: Span }
  | { kind: 'call'; name: string; nameSpan: Span; args: Expr[]; expandFinal: boolean; span: Span }
  | { kind: 'tuple'; items: Expr[]; span: Span }
  | { kind: 'object'; items: ObjectItem[]; span: Span }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: 'conditional'; cond: Expr; then: Expr; else: Expr; span: Span }
  | { kind: 'paren'; expr: Expr; span: Span }
  | ForExpr
  | TypeExpr;

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
