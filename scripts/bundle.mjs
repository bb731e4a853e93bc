// Bundles the compiled CLI (dist/src/cli.js and everything it imports, dependencies included) into
// one file, dist/h2k.mjs, which bin/h2k runs. Node 20 spends most of a command's start resolving and
// loading ~700 module files one by one (oclif, execa, yaml, ajv and h2k's own): `h2k validate` took
// 1.13 CPU-seconds unbundled and 0.73 bundled (docs/benchmarks.md). Tests still import dist/src/.
// Left out: typescript (oclif loads it only to run commands from .ts sources), and what h2k loads
// on first use by name (src/util/lazy-require.ts: ssh2, pg, pg-boss, fast-xml-parser), which the
// bundle's `require` finds in node_modules as before.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli.js'],
  outfile: 'dist/h2k.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['typescript'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as h2kCreateRequire } from 'node:module';\nconst require = h2kCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
