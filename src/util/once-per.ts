// A rate limit for progress: a gate that opens at most once per interval, the first call included.

/** true at most once per `everyMs` (by `now`), starting with the first call. */
export function oncePer(everyMs: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < everyMs) return false;
    last = t;
    return true;
  };
}
