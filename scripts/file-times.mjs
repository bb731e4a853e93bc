// A node:test reporter: each test file's time (the durations of its top-level tests and suites,
// which run one after another in the file's own process), slowest first, and the run's wall time.
// Used beside the spec reporter by run-tests.mjs; it writes to stderr.
const started = Date.now();

export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    const t = files.get(file) ?? { ms: 0, failed: false };
    t.ms += details?.duration_ms ?? 0;
    t.failed ||= event.type === 'test:fail';
    files.set(file, t);
  }
  const cwd = `${process.cwd()}/`;
  yield '\ntime per test file:\n';
  for (const [file, t] of [...files].sort((a, b) => b[1].ms - a[1].ms))
    yield `${(t.ms / 1000).toFixed(1).padStart(8)} s  ${file.replace(cwd, '')}${t.failed ? '  (failed)' : ''}\n`;
  yield `${((Date.now() - started) / 1000).toFixed(1).padStart(8)} s  wall time of the whole run\n`;
}
