// The pure planner on fixed facts: byte-identical plans across runs, and golden renderings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makePaint } from '../../src/render/paint.js';
import { planVm } from '../../src/planner/plan-vm.js';
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

function samplePlan(recordedFix?: string): Plan {
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
