// Bounded concurrency: at most `limit` promises in flight, results in input order.

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Runs `fn` on every item with at most `limit` in flight, where `fn` may add items (`more`) while
 *  it runs: an idle worker waits for them as long as another is busy, so work found late (a VM
 *  that must be inspected alone after its batch's launch) goes to whichever worker is free. */
export async function drain<T>(
  items: T[],
  limit: number,
  fn: (item: T, more: (item: T) => void) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  let busy = 0;
  let sleepers: (() => void)[] = [];
  const wake = () => {
    const s = sleepers;
    sleepers = [];
    for (const w of s) w();
  };
  const more = (item: T) => {
    queue.push(item);
    wake();
  };
  const worker = async () => {
    for (;;) {
      const item = queue.shift();
      if (item === undefined) {
        if (busy === 0) return wake();
        await new Promise<void>((resolve) => sleepers.push(resolve));
        continue;
      }
      busy++;
      try {
        await fn(item, more);
      } finally {
        busy--;
        if (busy === 0) wake();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}
