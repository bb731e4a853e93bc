// A process that holds one libguestfs session the way h2k does, for the signal tests
// (helpers-die-with-h2k.test.ts): `node session-driver.js DISK exit-on-signal|default`. It prints
// "launching" before the launch and "launched" once the appliance is up, then waits. With
// exit-on-signal it ends through process.exit on SIGTERM/SIGINT, as `h2k apply` does; with default,
// Node's default action ends it without running any of its code, as for `h2k plan`.
import { GuestfishSession } from '../../src/tools/guestfish.js';

const [disk, mode] = process.argv.slice(2);
if (mode === 'exit-on-signal')
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
console.log('launching');
await GuestfishSession.launch([{ path: disk, format: 'qcow2' }], { readonly: true });
console.log('launched');
setInterval(() => undefined, 1 << 30);
