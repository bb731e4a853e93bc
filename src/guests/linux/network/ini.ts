// The INI dialect of NetworkManager keyfiles and systemd-networkd units: [Section] then key=value,
// # and ; comments, keys that may repeat (networkd's Address=, DNS=). Edits keep every other line as
// it was, so the plan's diff shows only what changed. Pure.

export class IniFile {
  private lines: string[];

  constructor(text: string) {
    this.lines = text.split('\n');
  }

  /** Every value of `key` in `section` (sections may repeat, as networkd's [Address] does). */
  getAll(section: string, key: string): string[] {
    return this.entries(section, key).map((e) => e.value);
  }

  get(section: string, key: string): string | undefined {
    return this.getAll(section, key)[0];
  }

  /** Keys of a section matching a pattern, with their values, in file order. */
  matching(section: string, key: RegExp): { key: string; value: string }[] {
    return this.entries(section, key).map(({ key: k, value }) => ({ key: k, value }));
  }

  sections(): string[] {
    return this.lines.flatMap((l) => {
      const m = /^\s*\[([^\]]+)\]\s*$/.exec(l);
      return m ? [m[1]] : [];
    });
  }

  /** Replaces the first `key` in `section`, or adds it at the end of the section (made if missing). */
  set(section: string, key: string, value: string): void {
    const found = this.entries(section, key)[0];
    if (found) {
      this.lines[found.index] = `${found.key}=${value}`;
      return;
    }
    const start = this.lines.findIndex((l) => l.trim() === `[${section}]`);
    if (start < 0) {
      while (this.lines.length && this.lines[this.lines.length - 1] === '') this.lines.pop();
      this.lines.push('', `[${section}]`, `${key}=${value}`, '');
      return;
    }
    let end = start + 1;
    while (end < this.lines.length && !/^\s*\[/.test(this.lines[end])) end++;
    while (end > start + 1 && this.lines[end - 1].trim() === '') end--;
    this.lines.splice(end, 0, `${key}=${value}`);
  }

  remove(section: string, key: string | RegExp): void {
    const drop = new Set(this.entries(section, key).map((e) => e.index));
    this.lines = this.lines.filter((_, i) => !drop.has(i));
  }

  toString(): string {
    return this.lines.join('\n');
  }

  private entries(section: string, key: string | RegExp): { index: number; key: string; value: string }[] {
    const out: { index: number; key: string; value: string }[] = [];
    let current = '';
    for (const [index, line] of this.lines.entries()) {
      const s = /^\s*\[([^\]]+)\]\s*$/.exec(line);
      if (s) {
        current = s[1];
        continue;
      }
      if (current !== section || /^\s*[#;]/.test(line)) continue;
      const m = /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m) continue;
      if (typeof key === 'string' ? m[1] === key : key.test(m[1])) out.push({ index, key: m[1], value: m[2] });
    }
    return out;
  }
}
