// `npm run demo`: the main job on the embedded default configuration, twice. First from local
// disks (examples/): a Debian 12 guest exported from VMware is planned, applied (fixed, converted,
// boot-tested on virtio), and re-planned to show nothing is left to do. Then from vSphere
// (examples/vsphere-lab/): a local vcsim gets the same guest as its VM "debian"; the cluster is
// surveyed from the inventory alone, and the VM is planned with remote inspection, fetched over
// the datastore's HTTPS endpoint, fixed, converted and boot-tested. The guest disk is built once
// and cached.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const env = { ...process.env };
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, {
    env,
    stdio: ['inherit', opts.capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0 && !(opts.ok ?? []).includes(r.status)) {
    console.error(`demo: ${cmd} ${args.join(' ')} exited ${r.status}`);
    stop();
    process.exit(r.status ?? 1);
  }
  return r.stdout;
};
const h2k = (args, opts) => {
  console.log(`\n$ h2k ${args.join(' ')}`);
  return run('bin/h2k', args, opts);
};

let stop = () => {};

console.log('demo: building (or reusing) the Debian guest fixture...');
const fixture = run('bash', ['test/fixtures/build-debian-guest.sh'], { capture: true }).trim().split('\n').pop();
const guest = join('.demo', 'guest');
rmSync(guest, { recursive: true, force: true });
mkdirSync(guest, { recursive: true });
symlinkSync(join(fixture, 'debian-vmware-sparse.vmdk'), join(guest, 'debian-vmware-sparse.vmdk'));

// VALIDATE boots the libvirt domain h2k ships in libvirtd; on a host without systemd nothing has
// started one, and the boot test would fall back to plain qemu.
run('bash', ['scripts/start-libvirtd.sh']);

h2k(['validate', 'examples']);
h2k(['plan', 'examples', '-out', '.demo/plan.json']);
h2k(['apply', '.demo/plan.json']);
h2k(['plan', 'examples', '-detailed-exitcode']);

console.log('\ndemo: starting vcsim (vSphere simulator) with the guest uploaded as the VM "debian"...');
// The simulator harness the tests use (compiled by `npm run build`, which `npm run demo` runs first).
const { startVcsim, createFixtureVm, VC_PASSWORD } = await import('../dist/test/fixtures/vcsim.js');
const vc = await startVcsim();
stop = () => void vc.stop();
await createFixtureVm(vc, 'debian', { upload: [[join(fixture, 'debian-vmware-sparse.vmdk'), 'debian.vmdk']] });
env.H2K_VAR_vcenter_url = vc.url;
env.H2K_VAR_vcenter_password = VC_PASSWORD; // a sensitive variable: it never reaches argv or any file
const lab = 'examples/vsphere-lab';
rmSync(join(lab, '.h2k'), { recursive: true, force: true });
h2k(['plan', lab, '-target', 'vm.cluster', '-inspect=false']);
h2k(['plan', lab, '-target', 'vm.debian', '-out', '.demo/vsphere-plan.json']);
h2k(['apply', '.demo/vsphere-plan.json']);
h2k(['plan', lab, '-target', 'vm.debian', '-detailed-exitcode']);
await vc.stop();
