// A NIC without a kept MAC gets one derived from the state's lineage and the VM's address: another
// configuration's `vm "web"` gets another, every plan of one state the same one, before and after the
// first apply (the state is born with the lineage its plans were made with).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kvmHardware } from '../../src/planner/kvm-hardware.js';
import { policyDefaults } from '../../src/schema/config-schema.js';
import type { VmConfig } from '../../src/schema/config.js';
import { LocalBackend } from '../../src/state/local/backend.js';
import { StateStore } from '../../src/state/store.js';
import { tempDir } from '../helpers.js';

const web = {
  address: 'vm.web',
  name: 'web',
  source: 'source.local.s',
  policyAddress: 'policy.linux',
  policy: policyDefaults(),
  disks: ['web.vmdk'],
} as VmConfig;
const macs = (lineage: string) => kvmHardware(web, { nics: [{}, {}] }, lineage).nics.map((n) => n.mac);

describe('derived MACs', () => {
  it('differ between states, not between plans of one state', () => {
    const [a, b] = [macs('lineage-a'), macs('lineage-b')];
    assert.deepEqual(macs('lineage-a'), a);
    assert.notDeepEqual(a, b);
    assert.equal(new Set([...a, ...b]).size, 4);
    assert.ok([...a, ...b].every((m) => /^52:54:00(:[0-9a-f]{2}){3}$/.test(m)));
  });

  it('are seeded alike before and after the first apply, whatever was written before it', async () => {
    const dir = tempDir();
    const config = 'sha256:0123';
    const before = await StateStore.open(new LocalBackend(dir));
    const planned = before.lineageFor(config);
    // An audit record at serial 0 writes the state with a drawn lineage; it is not the state's yet.
    await before.audit({ event: 'plan-created', plan_hash: 'x' });
    assert.equal((await StateStore.open(new LocalBackend(dir))).lineageFor(config), planned);
    assert.notEqual(planned, (await StateStore.open(new LocalBackend(tempDir()))).lineageFor('sha256:4567'));

    const apply = await StateStore.open(new LocalBackend(dir));
    apply.bear(config);
    await apply.update((d) => {
      d.vms['vm.web'] = { stages: {} };
    });
    const after = await StateStore.open(new LocalBackend(dir));
    assert.equal(after.data.serial, 1);
    assert.equal(after.planLineage, planned);
    assert.equal(after.lineageFor('sha256:edited-since'), planned, 'once born, the lineage is the state’s');
  });
});
