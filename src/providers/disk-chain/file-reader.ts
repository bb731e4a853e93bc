// The chain reader for local files: names resolve relative to the file that names them and must
// stay inside the entry disk's directory (absolute names only when the source allows them).
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { type ChainLayer, type ChainReader, walkChain } from './chain.js';
import { DiskChainError } from './errors.js';

export function fileReader(entry: string, opts: { allowAbsolute: boolean }): ChainReader {
  const baseDir = dirname(resolve(entry));
  return {
    otherFormats: true,
    resolve(name, from, what) {
      if (isAbsolute(name)) {
        if (!opts.allowAbsolute)
          throw new DiskChainError(
            `${what} path ${JSON.stringify(name)} is absolute`,
            'set allow_absolute_paths = true on the local source if you trust this descriptor',
          );
        return name;
      }
      const p = resolve(dirname(from), name);
      const rel = relative(baseDir, p);
      if (rel.startsWith('..') || isAbsolute(rel))
        throw new DiskChainError(
          `${what} path ${JSON.stringify(name)} escapes the disk's directory ${baseDir}`,
          'a descriptor may only name files next to it; this one may be hostile',
        );
      return p;
    },
    size: async (file) => (existsSync(file) ? statSync(file).size : undefined),
    async read(file, offset, length) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.alloc(length);
        return buf.subarray(0, readSync(fd, buf, 0, length, offset));
      } finally {
        closeSync(fd);
      }
    },
    shown: (file) => file,
    identity: (file) => realpathSync(file),
  };
}

/** A local disk's chain; layer files and data files are absolute paths. */
export function resolveChain(entry: string, opts: { allowAbsolute: boolean }): Promise<ChainLayer[]> {
  return walkChain(fileReader(entry, opts), resolve(entry));
}
