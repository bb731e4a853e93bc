// The pure planner on fixed facts: byte-identical plans across runs, and golden renderings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makePaint } from '../../src/render/paint.js';
import { planVm } from '../../src/planner/plan-vm.js';
import { attributeChanges } from '../../src/planner/attribute-changes.js';
import { PIPELINE } from '../../src/stages/index.js';
import { assemblePlan, planJson } from '../../src/planner/plan.js';
import { blockingFindings } from '../../src/model/plan.js';
import { renderPlanDot } from '../../src/render/plan-dot.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import type { Plan } from '../../src/model/plan.js';
import { policyDefaults } from '../../src/schema/config-schema.js';
import { golden } from '../golden.js';
import { guest, windowsGuest } from '../guests/linux/synthetic-guest.js';

function sampleInput() {
  const vm = {
    address: 'vm.web["a"]',
    source: 'source.local.s',
    policyAddress: 'policy.linux',
    policy: { ...policyDefaults(), output_dir: 'out' },
    disks: ['web.vmdk'],
  };
  const input = {
    vm,
    source: { findings: [] },
    facts: {
      source: { type: 'local' as const },
      disks: [
        {
          name: 'web.vmdk',
          format: 'vmdk',
          virtual_bytes: 2 ** 31,
          allocated_bytes: 7 * 2 ** 28,
          chain: [
            { file: 'web-000001.vmdk', format: 'vmdk', data_files: ['web-000001.vmdk'] },
            { file: 'web.vmdk', format: 'vmdk', data_files: ['web.vmdk'] },
          ],
        },
      ],
      guest: guest(),
      hardware: {
        cpus: 2,
        memory_mib: 2048,
        firmware: 'bios' as const,
        nics: [{ mac: '00:50:56:8a:12:34' }],
      },
    },
    fingerprint: { files: [{ file: 'web.vmdk', size: 1, mtime_ms: 1, sample_sha256: 'ab' }], descriptor_sha256: 'cd' },
    recorded: {},
    lineage: '5e6d1c7a-0000-4000-8000-000000000001',
  };
  return input;
}

function samplePlan(recordedFix?: string): Plan {
  const input = sampleInput();
  const first = planVm({ ...input, pipeline: PIPELINE });
  const recorded = recordedFix
    ? Object.fromEntries(
        first.actions
          .filter((a) => ['flatten', 'inspect', 'plan', 'fix'].includes(a.stage))
          .map((a) => [a.stage, { status: 'done' as const, input_hash: a.input_hash }]),
      )
    : {};
  return assemblePlan({
    configHash: 'sha256:00',
    serial: 3,
    lineage: 'lin-1',
    vms: [planVm({ ...input, recorded, pipeline: PIPELINE })],
  });
}

describe('plan renderings', () => {
  it('two plans from the same inputs are byte-identical', () =>
    assert.equal(planJson(samplePlan()), planJson(samplePlan())));
  it('JSON', () => golden('sample.plan.json', planJson(samplePlan())));
  it('text', () => golden('sample.plan.txt', renderPlanText(samplePlan(), makePaint(false))));
  it('Markdown', () => golden('sample.plan.md', renderPlanMarkdown(samplePlan())));
  it('DOT', () => golden('sample.plan.dot', renderPlanDot(samplePlan())));
  it('after a partial apply, exactly the remaining stages', () => {
    const p = samplePlan('fix');
    assert.deepEqual(
      p.vms['vm.web["a"]'].actions.map((a) => a.stage),
      ['convert', 'validate'],
    );
    assert.deepEqual(p.vms['vm.web["a"]'].actions[0].depends_on, []);
    assert.deepEqual(p.vms['vm.web["a"]'].actions[1].depends_on, ['vm.web["a"]:convert']);
  });
  it('colour only when asked for', () => {
    assert.doesNotMatch(renderPlanText(samplePlan(), makePaint(false)), /\x1b\[/);
    assert.match(renderPlanText(samplePlan(), makePaint(true)), /\x1b\[/);
  });
});

describe('changes since the last apply (json-diff)', () => {
  // The sample applied once, then its source VM got 2 more vCPUs and a NIC in front of its one, and
  // its policy a longer boot timeout, a KubeVirt output, a bridge and a service check.
  function changedPlan(): Plan {
    const before = sampleInput();
    const applied = planVm({ ...before, pipeline: PIPELINE });
    const recorded = Object.fromEntries(
      applied.actions.map((a) => [a.stage, { status: 'done' as const, input_hash: a.input_hash }]),
    );
    const after = sampleInput();
    after.facts.hardware = {
      ...after.facts.hardware,
      cpus: 4,
      nics: [{ mac: '00:50:56:8a:00:01' }, ...after.facts.hardware.nics],
    };
    after.vm.policy = {
      ...after.vm.policy,
      boot_timeout: 900,
      outputs: [...after.vm.policy.outputs, 'kubevirt'],
      networks: { 'VM Network': { bridge: 'br0' } },
      checks: [{ kind: 'tcp', port: 5432 }],
    };
    const previous = { hardware: applied.facts.hardware, outputs: applied.outputs, policy: applied.policy };
    return assemblePlan({
      configHash: 'sha256:00',
      serial: 4,
      lineage: 'lin-1',
      vms: [planVm({ ...after, recorded, previous, pipeline: PIPELINE })],
    });
  }
  it('JSON', () => golden('changed.plan.json', planJson(changedPlan())));
  it('text', () => golden('changed.plan.txt', renderPlanText(changedPlan(), makePaint(false))));
  it('Markdown', () => golden('changed.plan.md', renderPlanMarkdown(changedPlan())));
  it('attribute by attribute: an element added in front is one +, not every later one changed', () => {
    const hw = (nics: { mac: string; model?: string }[]) => ({ cpus: 2, nics });
    const outputs = { disks: [], files: [] };
    const a = { mac: 'a', model: 'virtio' };
    const b = { mac: 'b', model: 'virtio' };
    const c = { mac: 'c', model: 'virtio' };
    assert.deepEqual(attributeChanges({ hardware: hw([a, b]), outputs }, { hardware: hw([c, a, b]), outputs }), [
      { op: '+', path: 'hardware.nics[0]', after: c },
    ]);
    assert.deepEqual(attributeChanges({ hardware: hw([a, b, c]), outputs }, { hardware: hw([a, c]), outputs }), [
      { op: '-', path: 'hardware.nics[1]', before: b },
    ]);
    assert.deepEqual(
      attributeChanges({ hardware: hw([a, b]), outputs }, { hardware: hw([a, { ...b, model: 'e1000' }]), outputs }),
      [{ op: '~', path: 'hardware.nics[1].model', before: 'virtio', after: 'e1000' }],
    );
    assert.deepEqual(attributeChanges({ hardware: hw([a]), outputs }, { hardware: hw([a]), outputs }), []);
    // A plan from before format 1.3 kept no policy: only hardware and outputs are compared.
    assert.deepEqual(
      attributeChanges(
        { hardware: hw([a]), outputs },
        { hardware: hw([a]), outputs, policy: { networks: { 'VM Network': {} } } },
      ),
      [],
    );
    assert.deepEqual(
      attributeChanges(
        { hardware: hw([a]), outputs, policy: { networks: {} } },
        { hardware: hw([a]), outputs, policy: { networks: { 'VM Network': { bridge: 'br0' } } } },
      ),
      [{ op: '+', path: 'policy.networks["VM Network"]', after: { bridge: 'br0' } }],
    );
  });
  it('none on a VM with nothing to do, and none before its first apply', () => {
    const input = sampleInput();
    const applied = planVm({ ...input, pipeline: PIPELINE });
    assert.equal(applied.changes, undefined);
    const recorded = Object.fromEntries(
      applied.actions.map((a) => [a.stage, { status: 'done' as const, input_hash: a.input_hash }]),
    );
    const previous = {
      hardware: { ...applied.facts.hardware, cpus: 1 },
      outputs: applied.outputs,
      policy: applied.policy,
    };
    const again = planVm({ ...input, recorded, previous, pipeline: PIPELINE });
    assert.deepEqual(again.actions, []);
    assert.equal(again.changes, undefined);
  });
});

describe('acknowledged findings', () => {
  it('a critical finding blocks the plan unless the policy acknowledges its code', async () => {
    const windows = windowsGuest();
    const mk = (acknowledge: string[]) => {
      const vm = {
        address: 'vm.w',
        source: 'source.local.s',
        policyAddress: null,
        policy: { ...policyDefaults(), acknowledge },
        disks: ['w.vmdk'],
      };
      const facts = {
        source: { type: 'local' as const },
        disks: [],
        guest: windows,
        hardware: { cpus: 1, memory_mib: 512, firmware: 'bios' as const, nics: [] },
      };
      const source = { findings: [] };
      return assemblePlan({
        configHash: 'x',
        serial: 0,
        lineage: null,
        vms: [
          planVm({
            vm,
            source,
            facts,
            fingerprint: { files: [], descriptor_sha256: '' },
            recorded: {},
            pipeline: PIPELINE,
            lineage: 'l',
          }),
        ],
      });
    };
    assert.deepEqual(
      blockingFindings(mk([])).map((f) => f.code),
      ['windows-no-virtio-win'],
    );
    assert.deepEqual(blockingFindings(mk(['windows-no-virtio-win'])), []);
    assert.equal(mk(['windows-no-virtio-win']).vms['vm.w'].findings[0].acknowledged, true);
  });
});
