// The letters Linux gives the Nth disk of a kind (sda…sdz, sdaa…; vda… likewise), and back. PURE.

/** 0 → a, 25 → z, 26 → aa, 701 → zz, 702 → aaa. */
export function diskLetters(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(97 + ((n - 1) % 26)) + s;
  return s;
}

/** The disk index of a name's letters (inverse of diskLetters). */
export function diskIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}
