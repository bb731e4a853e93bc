// How far a long step is, as one line: "812 of 2048 MiB (40 %), 54 MiB/s, 0:23 left". The rate is the
// average since the meter started, so one slow second does not swing the estimate.

/** m:ss, or h:mm:ss past an hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}

/** A meter of `total` bytes (or percent) started now: call it with how much is done. `resumedAt`:
 *  bytes already there before this run (a resumed download), not counted in the rate. */
export function progressMeter(
  total: number,
  unit: 'bytes' | 'percent',
  opts: { resumedAt?: number; now?: () => number } = {},
): (done: number) => string {
  const now = opts.now ?? Date.now;
  const started = now();
  const base = opts.resumedAt ?? 0;
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  return (done) => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? (done - base) / seconds : 0;
    const left = rate > 0 && done < total ? `, ${clock((total - done) / rate)} left` : '';
    if (unit === 'percent') return `${done.toFixed(0)} %${left}`;
    const pct = total > 0 ? ` (${Math.floor((100 * done) / total)} %)` : '';
    const speed = rate > 0 ? `, ${mib(rate)} MiB/s` : '';
    return `${mib(done)} of ${mib(total)} MiB${pct}${speed}${left}`;
  };
}
