// PURE: one VM's facts + policy + recorded stage results → its actions, guest edits and findings.
// No process, no disk: everything here is golden-testable.
import { posix } from 'node:path';
import type { HardwareFacts, SourceFingerprint, SourceHardware } from '../model/facts.js';
import type { GuestFacts } from '../model/guest-facts.js';
import type { NicBinding } from '../model/guest-network.js';
import {
  type Action,
  type Finding,
  type PlannedFacts,
  type RawFinding,
  type Stage,
  type StageRecord,
  type VmFacts,
  type VmOutputs,
  type VmPlan,
  vmSlug,
} from '../model/plan.js';
import type { PlannedEdits } from '../guests/family.js';
import { familyOf } from '../guests/registry.js';
import { OUTPUTS } from '../outputs/registry.js';
import type { VmConfig } from '../schema/config.js';
import { hashOf, sha256 } from '../util/hash.js';
import { type Compared, attributeChanges } from './attribute-changes.js';
import { spaceFinding } from './findings.js';
import { kvmHardware } from './kvm-hardware.js';
import type { StagePlan, StagePlanContext } from './stage-plan.js';

export interface PlanVmInput {
  vm: VmConfig;
  facts: VmFacts;
  fingerprint: SourceFingerprint;
  /** What the source driver says: what its FETCH stage does (for sources that have one), and its own findings. */
  source: { fetch?: string; findings: RawFinding[] };
  /** Recorded results of earlier applies for this VM, by stage. */
  recorded: Partial<Record<Stage, StageRecord>>;
  /** The VM as the plan of its last apply had it (absent before any apply): the plan shows what changed. */
  previous?: Compared;
  /** Where apply writes, when known: the output directory and the workspace (fetched copies, overlays). */
  space?: { output: Room; work: Room };
  /** The stages in order (src/stages/). */
  pipeline: readonly StagePlan[];
  /** The state's lineage, or the one its first apply gives it: the seed of derived MACs. */
  lineage: string;
}

/** Free bytes of a filesystem, and which one it is. */
export interface Room {
  free: number;
  device: number;
}

/** What the plan's actions write, by the stages' own declarations: into output_dir, and into the
 *  workspace (fetched copies, overlays). Where both are one filesystem, they add up. A stage the plan
 *  does not redo writes nothing. */
function spaceFindings(input: PlanVmInput, outputDir: string, runs: Set<Stage>): RawFinding[] {
  if (!input.space) return [];
  let outBytes = 0;
  let workBytes = 0;
  for (const s of input.pipeline) {
    if (!s.writes || !runs.has(s.stage)) continue;
    const bytes = s.writes.bytes(input.facts.disks, input.facts.guest);
    if (s.writes.place === 'output') outBytes += bytes;
    else workBytes += bytes;
  }
  const { output, work } = input.space;
  const needs =
    work.device === output.device
      ? [{ where: `${outputDir} and .h2k`, room: output, bytes: outBytes + workBytes }]
      : [
          { where: outputDir, room: output, bytes: outBytes },
          { where: '.h2k', room: work, bytes: workBytes },
        ];
  return needs.flatMap((n) => spaceFinding(n.bytes, n.room.free, n.where) ?? []);
}

/** The KVM NICs paired with the VMware NICs they replace (same order), for rebinding guest configs. */
export function nicBindings(vm: VmConfig, source: SourceHardware, kvm: HardwareFacts): NicBinding[] {
  const vmware = vm.nics?.length ? vm.nics : source.nics;
  return kvm.nics.map((n, i) => ({
    mac: n.mac,
    ...(vmware[i]?.mac ? { vmware_mac: vmware[i].mac } : {}),
    ...(vm.nics?.[i]?.addressing ? { addressing: vm.nics[i].addressing } : {}),
  }));
}

export function guestEdits(guest: GuestFacts | undefined, vm: VmConfig, nics: NicBinding[]): PlannedEdits {
  if (!guest) {
    const message =
      'planned from the inventory only (-inspect=false): no guest changes are known, so this plan cannot be applied';
    return { edits: [], findings: [{ code: 'guest-not-inspected', severity: 'warning', message }] };
  }
  return familyOf(guest).plan(guest, vm.policy, nics);
}

/** Disk 0 is <vm>.<ext>, disk N is <vm>-disk<N>.<ext>, in the VM's disk order; then each output's files. */
export function plannedOutputs(vm: VmConfig, diskCount: number): VmOutputs {
  const slug = vmSlug(vm.address);
  const format = vm.policy.output_format === 'raw' ? 'raw' : 'qcow2';
  const at = (name: string) => posix.normalize(posix.join(vm.policy.output_dir, name));
  const disks = Array.from({ length: Math.max(1, diskCount) }, (_, i) => ({
    path: at(`${slug}${i === 0 ? '' : `-disk${i}`}.${format}`),
    format,
  })) as VmOutputs['disks'];
  const files = vm.policy.outputs.flatMap((output) =>
    OUTPUTS[output].files(slug).map((f) => ({ output, path: at(f) })),
  );
  return { disks, files };
}

export function planVm(input: PlanVmInput): VmPlan {
  const { vm, facts, fingerprint, recorded } = input;
  const outputs = plannedOutputs(vm, facts.disks.length);
  const hardware = kvmHardware(vm, facts.hardware, input.lineage, facts.guest?.firmware);
  const {
    edits,
    findings: guestFindings,
    network,
  } = guestEdits(facts.guest, vm, nicBindings(vm, facts.hardware, hardware));
  const acknowledged = (f: RawFinding): Finding => ({ ...f, acknowledged: vm.policy.acknowledge.includes(f.code) });
  const findings: Finding[] = [...guestFindings, ...input.source.findings].map(acknowledged);
  const layers = facts.disks.reduce((n, d) => n + d.chain.length, 0);
  if (layers > facts.disks.length)
    findings.push({
      code: 'snapshot-chain',
      severity: 'info',
      message:
        `the disks have ${layers - facts.disks.length} snapshot layer(s): the VM is migrated at its ` + `current state`,
      acknowledged: false,
    });
  const untestable = facts.guest ? familyOf(facts.guest).boot.untestable : undefined;
  if (untestable && vm.policy.boot_test)
    findings.push({
      code: 'boot-test-unavailable',
      severity: 'warning',
      message: untestable,
      acknowledged: vm.policy.acknowledge.includes('boot-test-unavailable'),
    });
  if (facts.guest && hardware.firmware !== facts.guest.firmware)
    findings.push({
      code: 'firmware-mismatch',
      severity: 'warning',
      message: `the KVM guest gets ${hardware.firmware} firmware but the disk boots with ${facts.guest.firmware}`,
      acknowledged: vm.policy.acknowledge.includes('firmware-mismatch'),
    });

  // Each stage's input hash covers what it depends on and everything upstream, so a change upstream
  // redoes everything after.
  const context: StagePlanContext = {
    vm,
    facts,
    fingerprint,
    ...(input.source.fetch ? { fetch: input.source.fetch } : {}),
    edits,
    findings,
    outputs,
    hardware,
    ...(network ? { network } : {}),
    boot: { on: vm.policy.boot_test && !untestable, ...(untestable ? { untestable } : {}) },
  };
  const actions: Action[] = [];
  let upstream = '';
  let redo = false;
  let previous: string | undefined;
  for (const s of input.pipeline) {
    const planned = s.plan(context);
    if (!planned) continue;
    const inputHash = hashOf({ upstream, inputs: planned.inputs });
    upstream = inputHash;
    const rec = recorded[s.stage];
    redo ||= !(rec?.status === 'done' && rec.input_hash === inputHash);
    const id = `${vm.address}:${s.stage}`;
    if (redo) {
      const depends_on = previous && actions.some((a) => a.id === previous) ? [previous] : [];
      const edits = planned.edits ? { edits: planned.edits } : {};
      actions.push({ id, stage: s.stage, input_hash: inputHash, depends_on, reason: planned.reason, ...edits });
    }
    previous = id;
  }
  // Checked once the actions are known, and so outside every stage's input: the host's free space
  // changes between runs without anything about the VM changing (freeing space redoes nothing).
  findings.push(...spaceFindings(input, vm.policy.output_dir, new Set(actions.map((a) => a.stage))).map(acknowledged));
  const policy = vm.policy as unknown as Record<string, unknown>;
  const changes =
    input.previous && actions.length ? attributeChanges(input.previous, { hardware, outputs, policy }) : [];
  return {
    address: vm.address,
    source: { address: vm.source, type: facts.source.type, fingerprint },
    facts: plannedFacts(facts, hardware),
    actions,
    findings: findings.sort(
      (a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.code < b.code ? -1 : 1),
    ),
    outputs,
    policy,
    ...(changes.length ? { changes } : {}),
    ...(network ? { network } : {}),
  };
}

function severityRank(s: Finding['severity']): number {
  return s === 'critical' ? 0 : s === 'warning' ? 1 : 2;
}

/** The facts as the plan records them: guest file contents become their sha256 (symlinks as "-> target"). */
function plannedFacts(f: VmFacts, hardware: PlannedFacts['hardware']): PlannedFacts {
  const base = { source: f.source, disks: f.disks, hardware };
  if (!f.guest) return base;
  if (!('files' in f.guest)) return { ...base, guest: f.guest };
  const { files, ...rest } = f.guest;
  const files_sha256 = Object.fromEntries(
    Object.entries(files).map(([p, g]) => [p, sha256(g.kind === 'file' ? g.text : `-> ${g.target}`)]),
  );
  if (!('registry' in rest)) return { ...base, guest: { ...rest, files_sha256 } };
  const { registry, ...guest } = rest;
  return { ...base, guest: { ...guest, files_sha256, registry_sha256: hashOf(registry) } };
}
