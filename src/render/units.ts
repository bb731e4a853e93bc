// Sizes and durations as every rendering prints them.
const GiB = 2 ** 30;

export const fmtBytes = (n: number) => (n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`);

export const fmtSize = (n: number) => (n >= 2 ** 20 ? fmtBytes(n) : `${Math.max(1, Math.round(n / 1024))} KiB`);

/** 42 s, 3 min 07 s, 1 h 02 min. */
export function fmtSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
