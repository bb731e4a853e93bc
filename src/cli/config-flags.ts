// Flags every configuration-reading command shares, and loading the configuration with them.
import { Args, Flags } from '@oclif/core';
import type { VarInput } from '../schema/inputs.js';

export const dirArg = {
  dir: Args.string({
    description: 'Directory holding the *.h2k.hcl files (and *.h2k.hcl.json, HCL in JSON syntax).',
    default: '.',
  }),
};

export const varFlags = {
  var: Flags.string({
    description: 'Set an input variable: -var name=value (repeatable; later wins).',
    multiple: true,
    helpValue: 'NAME=VALUE',
  }),
  'var-file': Flags.string({
    description: 'Read input variables from an HCL file of name = value lines, or a .json object (repeatable).',
    multiple: true,
    helpValue: 'FILE',
  }),
};

/** -var and -var-file in command-line order: that order is their precedence. */
export function varInputs(raw: { type: string; flag?: string; input: string }[]): VarInput[] {
  const out: VarInput[] = [];
  for (const t of raw) {
    if (t.type !== 'flag') continue;
    if (t.flag === 'var') out.push({ kind: 'var', text: t.input });
    if (t.flag === 'var-file') out.push({ kind: 'file', path: t.input });
  }
  return out;
}
