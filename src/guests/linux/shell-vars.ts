// KEY=value files read by shell scripts (os-release, ifcfg, wicked's config): one reader. Pure.

/** KEY='value' lines, quotes of either kind removed; a later assignment wins, as in the shell. */
export function shellVars(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*?)\s*$/.exec(l);
    if (m) out.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  return out;
}
