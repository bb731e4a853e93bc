// Deterministic JSON: object keys sorted at every level, so the same plan is the same bytes.
import { createHash } from 'node:crypto';

export function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value && typeof value === 'object') {
    const v = value as { toJSON?: () => unknown };
    if (typeof v.toJSON === 'function') return canonicalize(v.toJSON());
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonicalize((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function canonicalJson(value: unknown, indent = 2): string {
  return `${JSON.stringify(canonicalize(value), null, indent)}\n`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hashOf(value: unknown): string {
  return sha256(JSON.stringify(canonicalize(value)));
}
