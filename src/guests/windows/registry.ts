// Registry keys and values as h2k holds them (JSON in the plan's facts), and their `.reg` text:
// regedit's format, which both reviewers and hivexregedit --merge read. PURE.

import type { RegKey, RegValue } from '../../model/guest-facts.js';

const TYPE_CODES = { sz: 1, expand_sz: 2, binary: 3, dword: 4, multi_sz: 7 } as const;

export function sz(data: string): RegValue {
  return { type: 'sz', data };
}
export function expandSz(data: string): RegValue {
  return { type: 'expand_sz', data };
}
export function multiSz(data: string[]): RegValue {
  return { type: 'multi_sz', data };
}
export function dword(data: number): RegValue {
  return { type: 'dword', data };
}
export function binary(bytes: number[]): RegValue {
  return { type: 'binary', data: Buffer.from(bytes).toString('hex') };
}

/** A value from its hive type code and bytes. */
export function decodeValue(code: number, bytes: Buffer): RegValue {
  const utf16 = (b: Buffer) => b.toString('utf16le');
  switch (code) {
    case 1:
    case 2:
      return { type: code === 1 ? 'sz' : 'expand_sz', data: utf16(evenLength(bytes)).replace(/\0+$/, '') };
    case 7: {
      const parts = utf16(evenLength(bytes)).split('\0');
      while (parts.length && parts[parts.length - 1] === '') parts.pop();
      return { type: 'multi_sz', data: parts };
    }
    case 4:
      if (bytes.length === 4) return { type: 'dword', data: bytes.readUInt32LE(0) };
      break;
    case 3:
      return { type: 'binary', data: bytes.toString('hex') };
  }
  return { type: 'raw', code, data: bytes.toString('hex') };
}

function evenLength(b: Buffer): Buffer {
  return b.length % 2 ? b.subarray(0, b.length - 1) : b;
}

/** The bytes a hive stores for a value (strings NUL-terminated, as Windows writes them). */
export function encodeValue(v: RegValue): { code: number; bytes: Buffer } {
  switch (v.type) {
    case 'sz':
    case 'expand_sz':
      return { code: TYPE_CODES[v.type], bytes: Buffer.from(`${v.data}\0`, 'utf16le') };
    case 'multi_sz':
      return { code: 7, bytes: Buffer.from(v.data.map((s) => `${s}\0`).join('') + '\0', 'utf16le') };
    case 'dword': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v.data >>> 0);
      return { code: 4, bytes: b };
    }
    case 'binary':
      return { code: 3, bytes: Buffer.from(v.data, 'hex') };
    case 'raw':
      return { code: v.code, bytes: Buffer.from(v.data, 'hex') };
  }
}

export function sameValue(a: RegValue | undefined, b: RegValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The value as a reader would say it, for comments and messages. */
export function showValue(v: RegValue): string {
  switch (v.type) {
    case 'sz':
    case 'expand_sz':
      return v.data;
    case 'multi_sz':
      return v.data.join(' | ');
    case 'dword':
      return `${v.data} (0x${v.data.toString(16)})`;
    default:
      return v.data;
  }
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Hex bytes after `head`, wrapped as regedit wraps them: lines of at most 80 columns ending in
 *  ",\\", continued with two spaces (hivexregedit joins them back). */
function hexLines(head: string, bytes: Buffer): string {
  const out: string[] = [];
  let line = head;
  [...bytes].forEach((b, i) => {
    const item = b.toString(16).padStart(2, '0') + (i < bytes.length - 1 ? ',' : '');
    if (line.length + item.length > 78 && i < bytes.length - 1) {
      out.push(`${line}\\`);
      line = '  ';
    }
    line += item;
  });
  out.push(line);
  return out.join('\n');
}

/** One value line as regedit writes it; strings REG_SZ in quotes, everything else typed hex. */
function valueLine(name: string, v: RegValue): string {
  const left = name === '' ? '@' : quote(name);
  if (v.type === 'sz') return `${left}=${quote(v.data)}`;
  if (v.type === 'dword') return `${left}=dword:${(v.data >>> 0).toString(16).padStart(8, '0')}`;
  const { code, bytes } = encodeValue(v);
  return hexLines(`${left}=${code === 3 ? 'hex' : `hex(${code.toString(16)})`}:`, bytes);
}

/** A key's section ([-path] when `deleted`); values by name; `comments` adds, before each value
 *  that is hex in the file, what it says (for reviewers; hivexregedit must not get them). */
export interface RegSection {
  path: string;
  values?: Record<string, RegValue>;
  /** Value names to delete ("name"=-). */
  deleteValues?: string[];
  deleted?: boolean;
}

/** `.reg` text for sections in the order given, under `prefix` (e.g. HKEY_LOCAL_MACHINE\SYSTEM). */
export function regText(prefix: string, sections: RegSection[], opts: { comments: boolean }): string {
  const out = ['Windows Registry Editor Version 5.00', ''];
  for (const s of sections) {
    const full = s.path ? `${prefix}\\${s.path}` : prefix;
    if (s.deleted) {
      out.push(`[-${full}]`, '');
      continue;
    }
    out.push(`[${full}]`);
    for (const [name, v] of Object.entries(s.values ?? {}).sort(([a], [b]) => byName(a, b))) {
      if (opts.comments && v.type !== 'sz' && v.type !== 'dword' && v.type !== 'binary')
        out.push(`; ${name === '' ? '@' : name} = ${showValue(v)}`);
      out.push(valueLine(name, v));
    }
    for (const name of [...(s.deleteValues ?? [])].sort(byName)) out.push(`${name === '' ? '@' : quote(name)}=-`);
    out.push('');
  }
  return out.join('\n');
}

/** regedit's order: the default value first, then by name ignoring case. */
function byName(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** Keys compare and look up ignoring case, as Windows does. */
export function keyId(path: string): string {
  return path.toLowerCase();
}

/** The keys inspection read, looked up ignoring case. A key is known absent when its parent was
 *  read and does not list it. */
export class RegistryView {
  private readonly byId = new Map<string, RegKey>();

  constructor(keys: RegKey[]) {
    for (const k of keys) this.byId.set(keyId(k.path), k);
  }

  get(path: string): RegKey | undefined {
    return this.byId.get(keyId(path));
  }

  exists(path: string): boolean {
    if (this.get(path)) return true;
    const parent = parentOf(path);
    if (parent === undefined) return false;
    const p = this.get(parent);
    if (!p && !this.exists(parent)) return false;
    const name = path.split('\\').pop()!.toLowerCase();
    if (!p || p.subkeys.some((s) => s.toLowerCase() === name))
      throw new Error(`h2k did not read the registry key ${path} (a bug: registryReads must list it)`);
    return false;
  }
}

export function parentOf(path: string): string | undefined {
  const i = path.lastIndexOf('\\');
  return path === '' ? undefined : i < 0 ? '' : path.slice(0, i);
}

/** The ancestors of a key below the root, outermost first, and the key itself. */
export function withAncestors(path: string): string[] {
  const parts = path.split('\\');
  return parts.map((_, i) => parts.slice(0, i + 1).join('\\'));
}

/** Values to set in one hive, key by key, and the `.reg` texts that show and perform them. */
export class HiveChanges {
  private readonly sets = new Map<string, { path: string; values: Record<string, RegValue> }>();

  constructor(
    readonly prefix: string,
    private readonly view: RegistryView,
  ) {}

  set(path: string, values: Record<string, RegValue>): this {
    const id = keyId(path);
    const entry = this.sets.get(id) ?? { path: this.view.get(path)?.path ?? path, values: {} };
    Object.assign(entry.values, values);
    this.sets.set(id, entry);
    return this;
  }

  get empty(): boolean {
    return this.sets.size === 0;
  }

  /** Before and after: every value of each key set (missing keys have no section before); merge:
   *  what hivexregedit applies, creating missing ancestors first (it adds a key only under an
   *  existing parent). Keys that would not change are left out. */
  texts(): { before: string; after: string; merge: string; keys: number; values: number } {
    const before: RegSection[] = [];
    const after: RegSection[] = [];
    const merge: RegSection[] = [];
    const created = new Set<string>();
    let values = 0;
    for (const { path, values: set } of [...this.sets.values()].sort((a, b) =>
      keyId(a.path) < keyId(b.path) ? -1 : 1,
    )) {
      const old = this.view.get(path);
      const changed = Object.entries(set).filter(([name, v]) => !sameValue(findValue(old?.values, name), v));
      if (old && changed.length === 0) continue;
      for (const a of withAncestors(path).slice(0, -1))
        if (!this.view.exists(a) && !created.has(keyId(a))) {
          created.add(keyId(a));
          merge.push({ path: a });
          after.push({ path: a });
        }
      created.add(keyId(path));
      if (old) before.push({ path: old.path, values: old.values });
      const merged = { ...(old?.values ?? {}) };
      for (const [name, v] of changed) {
        const existing = Object.keys(merged).find((n) => n.toLowerCase() === name.toLowerCase());
        if (existing !== undefined) delete merged[existing];
        merged[name] = v;
      }
      after.push({ path, values: merged });
      merge.push({ path, values: Object.fromEntries(changed) });
      values += changed.length;
    }
    const text = (s: RegSection[], comments: boolean) => regText(this.prefix, s, { comments });
    return {
      before: text(before, true),
      after: text(after, true),
      merge: text(merge, false),
      keys: after.length,
      values,
    };
  }
}

function findValue(values: Record<string, RegValue> | undefined, name: string): RegValue | undefined {
  if (!values) return undefined;
  const k = Object.keys(values).find((n) => n.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : values[k];
}
