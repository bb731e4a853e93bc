// Two VMs of one plan with the same MAC (declared alike, or an OVA's and a disk's given one): both get
// a Critical finding naming the other, and the plan cannot be applied.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type VmPlan, blockingFindings } from '../../src/model/plan.js';
import { assemblePlan } from '../../src/planner/plan.js';

const vm = (address: string, ...macs: string[]) =>
  ({
    address,
    source: { address: 'source.local.s', type: 'local', fingerprint: { files: [], descriptor_sha256: address } },
    facts: {
      hardware: { cpus: 1, memory_mib: 512, firmware: 'bios', nics: macs.map((mac) => ({ mac, model: 'virtio' })) },
    },
    findings: [{ code: 'snapshot-chain', severity: 'info', message: 'x', acknowledged: false }],
    actions: [],
  }) as unknown as VmPlan;

describe('MAC collisions in a plan', () => {
  it('each VM sharing a MAC gets a Critical finding naming the others; the rest none', () => {
    const plan = assemblePlan({
      configHash: 'sha256:00',
      serial: 0,
      lineage: null,
      vms: [
        vm('vm.el', '52:54:00:e1:9d:bc'),
        vm('vm.ova_el', '52:54:00:aa:00:01', '52:54:00:e1:9d:bc'),
        vm('vm.web', '52:54:00:aa:00:02'),
      ],
    });
    const codes = (a: string) => plan.vms[a].findings.map((f) => `${f.severity} ${f.code}`);
    assert.deepEqual(codes('vm.el'), ['critical mac-collision', 'info snapshot-chain']);
    assert.deepEqual(codes('vm.ova_el'), ['critical mac-collision', 'info snapshot-chain']);
    assert.deepEqual(codes('vm.web'), ['info snapshot-chain']);
    assert.match(plan.vms['vm.el'].findings[0].message, /^MAC 52:54:00:e1:9d:bc is also vm\.ova_el's: /);
    assert.deepEqual(
      blockingFindings(plan).map((f) => f.vm),
      ['vm.el', 'vm.ova_el'],
    );
    // Two vm blocks selecting one source VM carry its MACs: one machine, no collision.
    const twice = (a: string) => ({ ...vm(a, '00:50:56:00:00:01'), source: vm('vm.x').source });
    const same = assemblePlan({
      configHash: 'sha256:00',
      serial: 0,
      lineage: null,
      vms: [twice('vm.a'), twice('vm.b')],
    });
    assert.deepEqual(blockingFindings(same), []);
    // A policy may accept it for its VM.
    const accepted = assemblePlan({
      configHash: 'sha256:00',
      serial: 0,
      lineage: null,
      vms: [vm('vm.a', '52:54:00:00:00:01'), vm('vm.b', '52:54:00:00:00:01')],
      acknowledges: (v, code) => v === 'vm.a' && code === 'mac-collision',
    });
    assert.deepEqual(
      blockingFindings(accepted).map((f) => f.vm),
      ['vm.b'],
    );
  });
});
