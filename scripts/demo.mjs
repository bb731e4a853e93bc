// `npm run demo`: the main job on the embedded default configuration (examples/).
import { spawnSync } from 'node:child_process';

const h2k = (args) => {
  console.log(`\n$ h2k ${args.join(' ')}`);
  const r = spawnSync('bin/h2k', args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
h2k(['validate', 'examples']);
h2k(['fmt', 'examples', '--check']);
