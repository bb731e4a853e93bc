// The members of an OVA (an uncompressed POSIX tar archive) with where their bytes lie, read from
// the headers alone. Hostile archives are refused here, before any tool opens a member: names that
// are absolute or climb out with `..`, a name given twice, links, and headers that do not add up.
import { UserError } from '../../util/errors.js';

export interface TarMember {
  /** Without a leading "./". */
  name: string;
  /** As the archive writes it (what `tar tf` lists). */
  entry: string;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  size: number;
}

export interface ByteReader {
  read(offset: number, length: number): Promise<Buffer>;
  size: number;
}

const BLOCK = 512;

function field(h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

function octal(h: Buffer, at: number, len: number, what: string): number {
  // GNU base-256 sizes (high bit set) hold members over 8 GiB.
  if (h[at] & 0x80) {
    let n = 0;
    for (let i = at + 1; i < at + len; i++) n = n * 256 + h[i];
    return n;
  }
  const text = field(h, at, len).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`malformed tar header (${what} ${JSON.stringify(text)})`);
  return text ? parseInt(text, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === octal(h, 148, 8, 'checksum');
}

/** pax extended header records: "LEN key=value\n". */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  let path: string | undefined;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const len = Number(data.subarray(at, space).toString('latin1'));
    if (space < 0 || !Number.isInteger(len) || len <= 0) break;
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    if (record.startsWith('path=')) path = record.slice(5);
    at += len;
  }
  return path;
}

export class TarError extends UserError {
  constructor(message: string) {
    super(message, 'the archive is damaged or not an OVA; export it again');
  }
}

/** Why a member name is refused, or undefined when it is a plain relative name. */
export function unsafeName(name: string): string | undefined {
  if (name.startsWith('/')) return 'is absolute';
  if (name.split('/').includes('..')) return 'climbs out of the archive with ".."';
  if (/[\0\\]/.test(name)) return 'holds a NUL or backslash';
  return undefined;
}

export async function tarMembers(archive: ByteReader, shown: string): Promise<TarMember[]> {
  const members: TarMember[] = [];
  const hostile = (msg: string) =>
    new UserError(`${shown}: ${msg}`, 'the archive may be hostile; h2k reads no member of it');
  let at = 0;
  let longName: string | undefined;
  while (at + BLOCK <= archive.size) {
    const h = await archive.read(at, BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!checksumOk(h)) throw new TarError(`${shown}: malformed tar header at byte ${at} (checksum)`);
    const size = octal(h, 124, 12, 'size');
    const type = String.fromCharCode(h[156] || 0x30);
    const data = at + BLOCK;
    const next = data + Math.ceil(size / BLOCK) * BLOCK;
    if (data + size > archive.size) throw new TarError(`${shown}: truncated (a member ends past the archive's end)`);
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? field(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = undefined;
    if (type === 'L' || type === 'x') {
      const body = await archive.read(data, Math.min(size, 64 * 1024));
      longName = type === 'L' ? field(body, 0, body.length) : paxPath(body);
    } else if (type === 'g' || type === '5') {
      // global pax headers and directories carry no member data
    } else {
      const clean = name.replace(/^(\.\/)+/, '');
      const bad = unsafeName(clean);
      if (bad) throw hostile(`member ${JSON.stringify(name)} ${bad}`);
      if (type !== '0' && type !== '7')
        throw hostile(`member ${JSON.stringify(name)} is a ${type === '1' || type === '2' ? 'link' : 'special file'}`);
      if (members.some((m) => m.name === clean)) throw hostile(`member ${JSON.stringify(clean)} appears twice`);
      members.push({ name: clean, entry: name, offset: data, size });
    }
    at = next;
  }
  return members;
}
