// Shared test helpers: temporary configuration directories and running the real CLI.
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { Evaluator, type Scope } from '../src/schema/evaluate.js';
import { SOURCE_SCHEMAS } from '../src/providers/registry.js';
import { loadConfig, type LoadOptions } from '../src/schema/load.js';
import { parseExpression } from '../src/schema/parser.js';
import { SourceFile } from '../src/schema/source-file.js';
import { HclNumber } from '../src/schema/number.js';
import { type Value, fromPlain, isObject } from '../src/schema/values.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const H2K = join(REPO, 'bin', 'h2k');

/** FETCH's callbacks for a call whose steps and progress no test reads. */
export const unwatched = { onStep: () => undefined, onProgress: () => undefined };

const made: string[] = [];
// A test file's directories (converted disks: gigabytes a run) go when it ends; a file with a failed
// test keeps them to look into, and H2K_KEEP_TEST_DIRS=1 keeps them all.
process.on('exit', () => {
  if (process.exitCode || process.env.H2K_KEEP_TEST_DIRS) return;
  for (const d of made)
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // a mount left by a failed cleanup: its test already said so
    }
});

export function tempDir(prefix = 'h2k-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes files (name → content) into a fresh directory and returns it. */
export function writeConfig(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export function load(files: Record<string, string>, opts: Partial<Omit<LoadOptions, 'dir'>> = {}) {
  const dir = writeConfig(files);
  return { dir, ...loadConfig({ dir, env: {}, sourceTypes: SOURCE_SCHEMAS, ...opts }) };
}

/** Evaluates one expression; numbers come back as JS numbers (evalExact keeps HCL's numbers). */
export function evalExpr(src: string, scope: Partial<Scope> = {}): unknown {
  return jsNumbers(evalExact(src, scope));
}

export function evalExact(src: string, scope: Partial<Scope> = {}): Value {
  const given = { ...scope, ...(scope.var ? { var: fromPlain(scope.var) as Record<string, Value> } : {}) };
  const full: Scope = { var: {}, local: {}, source: {}, policy: {}, fn: { baseDir: REPO, env: {} }, ...given };
  return new Evaluator(full).evaluate(parseExpression(new SourceFile('<test>', src)));
}

export function jsNumbers(v: Value): unknown {
  if (v instanceof HclNumber) return v.toNumber();
  if (Array.isArray(v)) return v.map(jsNumbers);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsNumbers(x)]));
  return v;
}

/** Runs argv in a real pseudo-terminal (util-linux `script`, 200 columns): what a user at a terminal
 *  sees, escapes removed, and the exit code. */
export async function inTerminal(argv: string[]): Promise<{ exitCode: number; output: string }> {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = await execa('script', ['-qefc', `stty cols 200 rows 50; exec ${quoted}`, '/dev/null'], {
    cwd: REPO,
    env: { TERM: 'xterm-256color' },
    reject: false,
    input: '',
  });
  const output = String(r.stdout)
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\r/g, '');
  return { exitCode: r.exitCode ?? -1, output };
}

export function h2k(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string; detached?: boolean } = {},
) {
  return execa(H2K, args, {
    detached: opts.detached ?? false,
    cwd: opts.cwd ?? REPO,
    env: { NO_COLOR: '1', ...opts.env },
    reject: false,
    stripFinalNewline: false,
    input: opts.input ?? '',
  });
}

/** Every example configuration file, relative to the repo (examples/ and its subdirectories). */
export function exampleFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(REPO, d), { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'output') walk(join(d, e.name));
      else if (e.name.endsWith('.h2k.hcl')) out.push(join(d, e.name));
    }
  };
  walk('examples');
  return out.sort();
}

/** A configuration directory with one local source over `fixture` and one VM of `disks` booted with
 *  1024 MiB; `vmExtra` adds lines to the vm block. */
export function localVmConfig(fixture: string, vm: string, disks: string[], vmExtra = '', policyExtra = ''): string {
  return writeConfig({
    'main.h2k.hcl': `source "local" "fx" {
  directory = "${fixture}"
}

policy "p" {
  output_dir   = "./out"
  boot_timeout = 900
${policyExtra}}

vm "${vm}" {
  source = source.local.fx
  disks  = [${disks.map((d) => `"${d}"`).join(', ')}]
  policy = policy.p
  memory = 1024
${vmExtra}}
`,
  });
}

export { freePort } from '../src/util/free-port.js';
