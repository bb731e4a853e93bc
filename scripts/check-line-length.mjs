// Fails when a line of src/, test/ or bench/ TypeScript is longer than 120 columns: prettier wraps
// code at 120 but leaves long strings and regexes alone, so this catches what it cannot fix.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT = 120;
const long = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts'))
      readFileSync(p, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.length > LIMIT) long.push(`${p}:${i + 1}: ${line.length} columns`);
        });
  }
};
for (const dir of ['src', 'test', 'bench']) walk(dir);
if (long.length) {
  console.error(`${long.length} line(s) over ${LIMIT} columns:\n${long.join('\n')}`);
  process.exit(1);
}
console.log(`line length: no line over ${LIMIT} columns`);
