// What the configuration language needs from a source type: the JSON Schema of its block, turning
// the block's values into a typed source, and checking the vm blocks that use it. Each source
// driver (src/providers/<type>/schema.ts) provides one; the loader is given the list.
import type { Attribute } from './ast.js';
import type { Diagnostics } from './diagnostics.js';
import type { Span } from './source-file.js';
import type { Value } from './values.js';

/** A decoded source block; each source type extends it (src/providers/<type>/config.ts). */
export interface SourceConfig {
  type: string;
  address: string;
}

export interface SourceDecodeContext {
  address: string;
  /** Evaluated, already valid against `block`. */
  values: Record<string, Value>;
  attrs: Attribute[];
  /** The configuration directory (relative paths are relative to it). */
  dir: string;
  diags: Diagnostics;
}

export interface VmCheckContext {
  /** The vm's address (an instance of a for_each vm included). */
  address: string;
  /** The vm block's values as plain JSON. */
  values: Record<string, unknown>;
  /** Where an argument's name is written. */
  nameSpan(attr: string): Span;
  /** Where the argument's value starts, to order arguments as written. */
  position(attr: string): number;
  header: Span;
  diags: Diagnostics;
}

export interface SourceSchema {
  type: string;
  /** JSON Schema (draft-07) of the source block's arguments. */
  block: Record<string, unknown>;
  decode(ctx: SourceDecodeContext): SourceConfig | undefined;
  /** false when the vm block does not fit this source (diagnosed); otherwise the argument that
   *  selects the VM in the source, if any, whose position later inventory diagnostics point at. */
  checkVm(ctx: VmCheckContext): false | { selector?: string };
}
