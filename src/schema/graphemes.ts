// User-perceived characters (grapheme clusters): what HCL counts for columns, `length` and `<<-`.
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

export function graphemes(text: string): number {
  // ASCII without CR (CR LF is one grapheme) has one grapheme per character.
  if (!/[^\x00-\x0c\x0e-\x7f]/.test(text)) return text.length;
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

/** The first `n` graphemes of text, as a UTF-16 length. */
export function graphemePrefixLength(text: string, n: number): number {
  let cut = 0;
  let i = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (i++ === n) break;
    cut += segment.length;
  }
  return cut;
}
