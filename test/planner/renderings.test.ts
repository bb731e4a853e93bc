// The pure planner on fixed facts: byte-identical plans across runs, and golden renderings.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makePaint } from '../../src/render/paint.js';
import { planVm } from '../../src/planner/plan-vm.js';
import { assemblePlan, planJson } from '../../src/model/plan-helpers.js';
import { renderPlanDot } from '../../src/render/plan-dot.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import type { Plan } from '../../src/model/plan.js';
import { policyDefaults } from '../../src/schema/config-schema.js';
import { REPO } from '../helpers.js';
import { guest } from '../fixers/synthetic-guest.js';

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
    sourceType: 'local' as const,
    facts: {
      disks: [
        {
          name: 'web.vmdk',
          format: 'vmdk',
          virtualBytes: 2 ** 31,
          allocatedBytes: 7 * 2 ** 28,
          chain: [
            { file: 'web-000001.vmdk', format: 'vmdk', dataFiles: ['web-000001.vmdk'] },
            { file: 'web.vmdk', format: 'vmdk', dataFiles: ['web.vmdk'] },
          ],
        },
      ],
      guest: guest(),
      hardware: {
        cpus: 2,
        memoryMiB: 2048,
        firmware: 'bios' as const,
        nics: [{ mac: '00:50:56:8a:12:34', model: 'virtio' }],
      },
    },
    fingerprint: { files: [{ file: 'web.vmdk', size: 1, mtimeMs: 1, sampleSha256: 'ab' }], descriptorSha256: 'cd' },
    recorded: {},
  };
  const first = planVm(input);
  const recorded = recordedFix
    ? Object.fromEntries(
        first.actions
          .filter((a) => ['flatten', 'inspect', 'plan', 'fix'].includes(a.stage))
          .map((a) => [a.stage, { status: 'done' as const, input_hash: a.input_hash }]),
      )
    : {};
  return assemblePlan({ configHash: 'sha256:00', serial: 3, lineage: 'lin-1', vms: [planVm({ ...input, recorded })] });
}

function golden(name: string, actual: string): void {
  const path = join(REPO, 'test', 'golden', name);
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, actual);
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)`,
  );
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
    const { blockingFindings } = await import('../../src/model/plan-helpers.js');
    const windows = guest({
      os: {
        type: 'windows',
        distro: 'windows',
        major: 10,
        minor: 0,
        product: 'Windows Server 2019',
        arch: 'x86_64',
        hostname: 'w',
      },
    });
    const mk = (acknowledge: string[]) => {
      const vm = {
        address: 'vm.w',
        source: 'source.local.s',
        policyAddress: null,
        policy: { ...policyDefaults(), acknowledge },
        disks: ['w.vmdk'],
      };
      const facts = {
        disks: [],
        guest: windows,
        hardware: { cpus: 1, memoryMiB: 512, firmware: 'bios' as const, nics: [] },
      };
      return assemblePlan({
        configHash: 'x',
        serial: 0,
        lineage: null,
        vms: [
          planVm({ vm, sourceType: 'local', facts, fingerprint: { files: [], descriptorSha256: '' }, recorded: {} }),
        ],
      });
    };
    assert.deepEqual(
      blockingFindings(mk([])).map((f) => f.code),
      ['windows-unsupported'],
    );
    assert.deepEqual(blockingFindings(mk(['windows-unsupported'])), []);
    assert.equal(mk(['windows-unsupported']).vms['vm.w'].findings[0].acknowledged, true);
  });
});
