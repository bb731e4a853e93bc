// An OVF package as h2k reads it: an OVA archive, or a .ovf descriptor with its files beside it.
// The kind is read from the file's bytes. The manifest (.mf) is checked against the descriptor
// before the descriptor is trusted; disk files are checked against it as FETCH copies them.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { type OvfDescriptor, parseOvf } from './ovf.js';
import { type ByteReader, tarMembers } from './tar.js';

export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface Manifest {
  algorithm: DigestAlgorithm;
  /** file name → lowercase hex digest */
  digests: Map<string, string>;
}

/** Where a file of the package lies: a whole file (.ovf packages) or a stretch of the archive. */
export interface PackageFile {
  name: string;
  /** The archive member's name as tar lists it (OVA only). */
  entry?: string;
  file: string;
  offset: number;
  size: number;
}

export interface OvfPackage {
  kind: 'ova' | 'ovf';
  /** The .ova or .ovf file, absolute. */
  path: string;
  descriptor: OvfDescriptor;
  descriptor_sha256: string;
  manifest?: Manifest;
  /** Every file the descriptor references, by href. */
  files: Map<string, PackageFile>;
}

const MAX_TEXT = 16 * 2 ** 20;

export function fileBytes(path: string): ByteReader & { close(): void } {
  const fd = openSync(path, 'r');
  return {
    size: statSync(path).size,
    async read(offset, length) {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, offset));
    },
    close: () => closeSync(fd),
  };
}

export function parseManifest(text: string, shown: string): Manifest {
  const digests = new Map<string, string>();
  let algorithm: DigestAlgorithm | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    if (!m)
      throw new UserError(`${shown}:${i + 1}: not a manifest line: ${JSON.stringify(line)}`, 'export the VM again');
    const algo = m[1].toLowerCase() as DigestAlgorithm;
    if (algorithm && algo !== algorithm)
      throw new UserError(`${shown}: mixes ${algorithm} and ${algo} digests`, 'export the VM again');
    algorithm = algo;
    digests.set(m[2], m[3].toLowerCase());
  }
  if (!algorithm) throw new UserError(`${shown} is empty`, 'export the VM again, or delete the empty manifest');
  return { algorithm, digests };
}

function checkDigest(manifest: Manifest, name: string, bytes: Buffer, where: string): void {
  const want = manifest.digests.get(name);
  if (want === undefined)
    throw new UserError(`${where}: the manifest does not list ${name}`, 'the package was modified after export');
  const got = createHash(manifest.algorithm).update(bytes).digest('hex');
  if (got !== want)
    throw new UserError(
      `${where}: ${name} does not match the manifest (${manifest.algorithm} ${got}, manifest says ${want})`,
      'the package was modified or damaged after export; export it again',
    );
}

const isTar = (head: Buffer) => head.length >= 263 && head.subarray(257, 262).toString('latin1') === 'ustar';

export async function openPackage(path: string): Promise<OvfPackage> {
  if (!existsSync(path)) throw new UserError(`${path} does not exist`, "check the source's path");
  const bytes = fileBytes(path);
  try {
    const head = await bytes.read(0, 512);
    if (isTar(head)) return await openArchive(path, bytes);
    if (/^(\uFEFF)?\s*</.test(head.toString('utf8'))) return await openDescriptor(path, bytes);
    throw new UserError(`${path} is neither an OVA (tar) archive nor an OVF descriptor`, "check the source's path");
  } finally {
    bytes.close();
  }
}

async function openArchive(path: string, bytes: ByteReader): Promise<OvfPackage> {
  const members = await tarMembers(bytes, path);
  // The OVF specification puts the descriptor first and the manifest next to it.
  const ovf = members.find((m) => m.name.endsWith('.ovf'));
  if (!ovf) throw new UserError(`${path} holds no .ovf descriptor`, 'this is not an OVA export');
  if (ovf.size > MAX_TEXT) throw new UserError(`${path}: the descriptor ${ovf.name} is too large`, 'it may be hostile');
  const xml = await bytes.read(ovf.offset, ovf.size);
  const mf = members.find((m) => m.name === ovf.name.replace(/\.ovf$/, '.mf'));
  let manifest: Manifest | undefined;
  if (mf) {
    manifest = parseManifest(
      (await bytes.read(mf.offset, Math.min(mf.size, MAX_TEXT))).toString('utf8'),
      `${path}:${mf.name}`,
    );
    checkDigest(manifest, ovf.name, xml, path);
  }
  const descriptor = parseOvf(xml.toString('utf8'));
  const files = new Map<string, PackageFile>();
  for (const f of descriptor.files) {
    const m = members.find((x) => x.name === f.href);
    if (!m)
      throw new UserError(
        `${path}: the descriptor references ${f.href}, which the archive does not hold`,
        'export the VM again',
      );
    if (m === ovf || m === mf)
      throw new UserError(
        `${path}: the descriptor references ${f.href}, which is not a disk`,
        'the package may be hostile',
      );
    files.set(f.href, { name: f.href, entry: m.entry, file: path, offset: m.offset, size: m.size });
  }
  return { kind: 'ova', path, descriptor, descriptor_sha256: sha256Hex(xml), ...(manifest ? { manifest } : {}), files };
}

async function openDescriptor(path: string, bytes: ByteReader): Promise<OvfPackage> {
  if (bytes.size > MAX_TEXT) throw new UserError(`${path} is too large for a descriptor`, 'it may be hostile');
  const xml = await bytes.read(0, bytes.size);
  const mfPath = path.replace(/\.ovf$/i, '.mf');
  let manifest: Manifest | undefined;
  if (mfPath !== path && existsSync(mfPath)) {
    const mf = fileBytes(mfPath);
    try {
      manifest = parseManifest((await mf.read(0, Math.min(mf.size, MAX_TEXT))).toString('utf8'), mfPath);
    } finally {
      mf.close();
    }
    checkDigest(manifest, basename(path), xml, path);
  }
  const descriptor = parseOvf(xml.toString('utf8'));
  const files = new Map<string, PackageFile>();
  for (const f of descriptor.files) {
    const file = join(dirname(path), f.href);
    if (!existsSync(file))
      throw new UserError(
        `${path} references ${f.href}, which is not next to it`,
        'copy every file of the export together',
      );
    files.set(f.href, { name: f.href, file, offset: 0, size: statSync(file).size });
  }
  return { kind: 'ovf', path, descriptor, descriptor_sha256: sha256Hex(xml), ...(manifest ? { manifest } : {}), files };
}

const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
