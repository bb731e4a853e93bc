// FETCH for OVF packages: each disk checked against the manifest before FLATTEN reads it. An OVA's
// disk members are copied out of the archive (only they, not the whole archive) into
// <fetch>/disk<N>/, hashed as they stream, through .partial files that resume where they stopped;
// an .ovf's disk files are verified where they lie. A digest that differs fails the stage, naming
// the file, and leaves no copy behind.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { OutputRecord } from '../../model/state.js';
import { configRelative } from '../../util/files.js';
import { UserError } from '../../util/errors.js';
import type { OvfPackage, PackageFile } from './package.js';
import { progressMeter } from '../../util/progress-meter.js';

/** Where FETCH puts disk N of an OVA. */
export const fetchedDisk = (dir: string, i: number, href: string) => join(dir, `disk${i}`, basename(href));

/** Streams `length` bytes of `file` from `start` through the hashes into `dest` (appending when asked). */
async function copyRange(
  file: string,
  start: number,
  length: number,
  hashes: Hash[],
  dest: string | undefined,
  onBytes: (n: number) => void,
): Promise<void> {
  if (length === 0) return;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (const h of hashes) h.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  const source = createReadStream(file, { start, end: start + length - 1, highWaterMark: 1 << 20 });
  if (dest) await pipeline(source, tap, createWriteStream(dest, { flags: 'a' }));
  else {
    tap.resume();
    await pipeline(source, tap);
  }
}

export interface OvaFetchInput {
  pkg: OvfPackage;
  hrefs: string[];
  dir: string;
  configDir: string;
  onStep: (m: string) => void;
  onProgress: (m: string) => void;
}

export async function fetchPackage(
  input: OvaFetchInput,
): Promise<{ outputs: OutputRecord[]; note: string; details: Record<string, unknown> }> {
  const { pkg } = input;
  const started = Date.now();
  let bytes = 0;
  let resumed = 0;
  const outputs: OutputRecord[] = [];
  for (const [i, href] of input.hrefs.entries()) {
    const f: PackageFile = pkg.files.get(href)!;
    const hashes = [
      createHash('sha256'),
      ...(pkg.manifest && pkg.manifest.algorithm !== 'sha256' ? [createHash(pkg.manifest.algorithm)] : []),
    ];
    const mib = (n: number) => (n / 2 ** 20).toFixed(0);
    let done = 0;
    const meter = progressMeter(f.size, 'bytes');
    const onBytes = (n: number) => {
      done += n;
      input.onProgress(`${href}: ${meter(done)}`);
    };
    let dest: string;
    if (pkg.kind === 'ova') {
      dest = fetchedDisk(input.dir, i, href);
      mkdirSync(join(dest, '..'), { recursive: true });
      const partial = `${dest}.partial`;
      if (existsSync(dest) && statSync(dest).size === f.size) {
        input.onStep(`verifying ${href} extracted before`);
        await copyRange(dest, 0, f.size, hashes, undefined, onBytes);
      } else {
        const have = existsSync(partial) ? Math.min(statSync(partial).size, f.size) : 0;
        input.onStep(`extracting ${href} (${mib(f.size)} MiB${have ? `, resuming at ${mib(have)} MiB` : ''})`);
        // The bytes already copied are hashed from the copy, the rest from the archive.
        if (have) await copyRange(partial, 0, have, hashes, undefined, onBytes);
        else rmSync(partial, { force: true });
        await copyRange(f.file, f.offset + have, f.size - have, hashes, partial, onBytes);
        resumed += have;
        bytes += f.size - have;
        if (statSync(partial).size !== f.size)
          throw new UserError(`${href}: extracted ${statSync(partial).size} of ${f.size} bytes`, 'run h2k apply again');
      }
    } else {
      dest = f.file;
      input.onStep(`verifying ${href}`);
      await copyRange(f.file, 0, f.size, hashes, undefined, onBytes);
    }
    const sha256 = hashes[0].digest('hex');
    if (pkg.manifest) {
      const want = pkg.manifest.digests.get(href);
      const got = pkg.manifest.algorithm === 'sha256' ? sha256 : hashes[1].digest('hex');
      if (want !== got) {
        if (pkg.kind === 'ova') (rmSync(`${dest}.partial`, { force: true }), rmSync(dest, { force: true }));
        throw new UserError(
          want === undefined
            ? `${pkg.path}: the manifest does not list ${href}`
            : `${pkg.path}: ${href} does not match the manifest ` +
                `(${pkg.manifest.algorithm} ${got}, manifest says ${want})`,
          'the package was modified or damaged after export; export it again',
        );
      }
    }
    if (pkg.kind === 'ova' && existsSync(`${dest}.partial`)) renameSync(`${dest}.partial`, dest);
    outputs.push({ path: configRelative(dest, input.configDir), size: f.size, sha256 });
  }
  const seconds = (Date.now() - started) / 1000;
  const verified = pkg.manifest
    ? `verified against the ${pkg.manifest.algorithm} manifest`
    : 'no manifest to verify against';
  const what =
    pkg.kind === 'ova'
      ? `${outputs.length} disk(s) extracted, ${(bytes / 2 ** 20).toFixed(0)} MiB`
      : `${outputs.length} disk file(s) in place`;
  return {
    outputs,
    note:
      `${what} in ${seconds.toFixed(1)} s, ${verified}` +
      (resumed ? `, resumed after ${(resumed / 2 ** 20).toFixed(0)} MiB` : ''),
    details: {
      bytes,
      seconds: Number(seconds.toFixed(1)),
      resumed_from: resumed,
      manifest: pkg.manifest?.algorithm ?? 'none',
    },
  };
}
