// `npm run demo`: the main job on the embedded default configuration (examples/): a Debian 12
// guest exported from VMware is planned, applied (fixed, converted, boot-tested on virtio), and
// re-planned to show nothing is left to do. The guest disk is built once and cached.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: ['inherit', opts.capture ? 'pipe' : 'inherit', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0 && !(opts.ok ?? []).includes(r.status)) {
    console.error(`demo: ${cmd} ${args.join(' ')} exited ${r.status}`);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
};
const h2k = (args, opts) => {
  console.log(`\n$ h2k ${args.join(' ')}`);
  return run('bin/h2k', args, opts);
};

console.log('demo: building (or reusing) the Debian guest fixture...');
const fixture = run('bash', ['test/fixtures/build-debian-guest.sh'], { capture: true }).trim().split('\n').pop();
const guest = join('.demo', 'guest');
rmSync(guest, { recursive: true, force: true });
mkdirSync(guest, { recursive: true });
symlinkSync(join(fixture, 'debian-vmware-sparse.vmdk'), join(guest, 'debian-vmware-sparse.vmdk'));

h2k(['validate', 'examples']);
h2k(['plan', 'examples', '-out', '.demo/plan.json']);
h2k(['apply', '.demo/plan.json']);
h2k(['plan', 'examples', '-detailed-exitcode']);
