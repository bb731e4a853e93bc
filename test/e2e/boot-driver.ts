// A process that runs one boot test the way VALIDATE does, for boot-machine-dies-with-h2k.test.ts:
// `node boot-driver.js DISK WORKDIR [TIMEOUT [bios|uefi|secure-boot]]`. The disk is blank, so the machine
// sits in its firmware until the driver is killed or the timeout (600 s) ends the boot; the verdict is
// printed as JSON.
import { linux } from '../../src/guests/linux/index.js';
import { bootTest } from '../../src/executors/boot-test.js';

const [disk, workDir, timeout, firmware = 'bios'] = process.argv.slice(2);
const v = await bootTest({
  machine: {
    name: 'blank',
    disks: [disk],
    format: 'qcow2',
    hw: {
      cpus: 1,
      memory_mib: 256,
      firmware: firmware === 'bios' ? 'bios' : 'uefi',
      ...(firmware === 'secure-boot' ? { secure_boot: true as const } : {}),
      nics: [{ mac: '52:54:00:00:00:42', model: 'virtio' }],
    },
  },
  evidence: linux.boot,
  prepare: async () => undefined,
  timeoutSec: Number(timeout ?? 600),
  workDir,
});
console.log(JSON.stringify(v));
