// Reading a registry hive file (the "regf" format: a 4 KiB header, then bins of cells holding keys
// "nk", subkey lists "lf"/"lh"/"li"/"ri", value lists and values "vk", big data "db"). Read-only and
// PURE over the file's bytes; writing is left to hivex (hivexregedit --merge), which is the tool
// every offline registry editor relies on.
import type { RegKey, RegValue } from '../../model/guest-facts.js';
import { decodeValue } from './registry.js';

const BINS = 0x1000;

export class HiveError extends Error {}

export class Hive {
  private readonly root: number;

  constructor(private readonly buf: Buffer) {
    if (buf.length < BINS + 0x20 || buf.toString('latin1', 0, 4) !== 'regf')
      throw new HiveError('not a registry hive (no regf header)');
    this.root = buf.readUInt32LE(0x24);
    this.cell(this.root, 'nk');
  }

  /** A key by its path below the root ("ControlSet001\\Services"), ignoring case; undefined if absent. */
  key(path: string): RegKey | undefined {
    let nk = this.root;
    const names: string[] = [];
    for (const part of path.split('\\').filter(Boolean)) {
      const next = this.children(nk).find((c) => c.name.toLowerCase() === part.toLowerCase());
      if (!next) return undefined;
      nk = next.offset;
      names.push(next.name);
    }
    return {
      path: names.join('\\'),
      values: this.values(nk),
      subkeys: this.children(nk)
        .map((c) => c.name)
        .sort(),
    };
  }

  /** The key and every key below it, parents first. */
  tree(path: string): RegKey[] {
    const top = this.key(path);
    if (!top) return [];
    return [top, ...(top.subkeys ?? []).flatMap((s) => this.tree(top.path ? `${top.path}\\${s}` : s))];
  }

  /** The offset of a cell's data (after its size field), checking its signature. */
  private cell(offset: number, sig?: string): number {
    const at = BINS + offset;
    if (at + 4 > this.buf.length) throw new HiveError(`cell 0x${offset.toString(16)} is outside the hive`);
    if (sig && this.buf.toString('latin1', at + 4, at + 6) !== sig)
      throw new HiveError(`cell 0x${offset.toString(16)} is not "${sig}"`);
    return at;
  }

  private name(nk: number): string {
    const at = this.cell(nk, 'nk');
    const flags = this.buf.readUInt16LE(at + 0x06);
    const len = this.buf.readUInt16LE(at + 0x4c);
    const raw = this.buf.subarray(at + 0x50, at + 0x50 + len);
    return flags & 0x20 ? raw.toString('latin1') : raw.toString('utf16le');
  }

  private children(nk: number): { name: string; offset: number }[] {
    const at = this.cell(nk, 'nk');
    const count = this.buf.readUInt32LE(at + 0x18);
    if (count === 0) return [];
    return this.subkeyList(this.buf.readUInt32LE(at + 0x20)).map((offset) => ({ name: this.name(offset), offset }));
  }

  private subkeyList(offset: number): number[] {
    const at = this.cell(offset);
    const sig = this.buf.toString('latin1', at + 4, at + 6);
    const n = this.buf.readUInt16LE(at + 6);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (sig === 'lf' || sig === 'lh') out.push(this.buf.readUInt32LE(at + 8 + 8 * i));
      else if (sig === 'li') out.push(this.buf.readUInt32LE(at + 8 + 4 * i));
      else if (sig === 'ri') out.push(...this.subkeyList(this.buf.readUInt32LE(at + 8 + 4 * i)));
      else throw new HiveError(`unknown subkey list "${sig}"`);
    }
    return out;
  }

  private values(nk: number): Record<string, RegValue> {
    const at = this.cell(nk, 'nk');
    const count = this.buf.readUInt32LE(at + 0x28);
    const out: Record<string, RegValue> = {};
    if (count === 0) return out;
    const list = this.cell(this.buf.readUInt32LE(at + 0x2c));
    for (let i = 0; i < count; i++) {
      const vk = this.cell(this.buf.readUInt32LE(list + 4 + 4 * i), 'vk');
      const nameLen = this.buf.readUInt16LE(vk + 0x06);
      const flags = this.buf.readUInt16LE(vk + 0x14);
      const rawName = this.buf.subarray(vk + 0x18, vk + 0x18 + nameLen);
      const name = flags & 1 ? rawName.toString('latin1') : rawName.toString('utf16le');
      out[name] = decodeValue(this.buf.readUInt32LE(vk + 0x10), this.data(vk));
    }
    return out;
  }

  private data(vk: number): Buffer {
    const rawLen = this.buf.readUInt32LE(vk + 0x08);
    const len = rawLen & 0x7fffffff;
    if (rawLen & 0x80000000) return Buffer.from(this.buf.subarray(vk + 0x0c, vk + 0x0c + Math.min(len, 4)));
    const at = this.cell(this.buf.readUInt32LE(vk + 0x0c));
    if (len > 16344 && this.buf.toString('latin1', at + 4, at + 6) === 'db') {
      const segments = this.buf.readUInt16LE(at + 6);
      const list = this.cell(this.buf.readUInt32LE(at + 8));
      const parts: Buffer[] = [];
      for (let i = 0; i < segments; i++) {
        const seg = this.cell(this.buf.readUInt32LE(list + 4 + 4 * i));
        parts.push(this.buf.subarray(seg + 4, seg + Math.abs(this.buf.readInt32LE(seg))));
      }
      return Buffer.concat(parts).subarray(0, len);
    }
    return Buffer.from(this.buf.subarray(at + 4, at + 4 + len));
  }
}
