// Sampled hashes: both ends of a file and evenly spaced blocks between, so a fingerprint notices a
import { sha256 } from '../util/hash.js';
// written or replaced disk without reading it all. Local and remote sources take the same samples.

const SAMPLE_BYTES = 4096;

export function sampleOffsets(size: number, samples: number): { offsets: number[]; length: number } {
  const offsets = new Set<number>([0, Math.max(0, size - SAMPLE_BYTES)]);
  for (let i = 1; i < samples; i++) offsets.add(Math.floor(((size / samples) * i) / SAMPLE_BYTES) * SAMPLE_BYTES);
  return { offsets: [...offsets].sort((a, b) => a - b), length: SAMPLE_BYTES };
}

/** sha256 over the samples of a file of `size` bytes, read through `read`. */
export async function sampledHash(
  read: (offset: number, length: number) => Promise<Buffer>,
  size: number,
  samples: number,
): Promise<string> {
  const { offsets, length } = sampleOffsets(size, samples);
  const parts = await Promise.all(offsets.map((o) => read(o, Math.min(length, size - o))));
  return sha256(Buffer.concat(parts));
}
