// PURE: one VM's facts + policy + recorded stage results → its actions, guest edits and findings.
// No process, no disk: everything here is golden-testable.
import { posix } from 'node:path';
import { fixFstab } from '../guests/linux/fixers/fstab.js';
import { fixGrub } from '../guests/linux/bootloader/grub2.js';
import { fixInitramfs } from '../guests/linux/initramfs/initramfs-tools.js';
import { fixNetwork } from '../guests/linux/network/ifupdown.js';
import { fixVmwareTools } from '../guests/linux/fixers/vmware-tools.js';
import type { FixResult } from '../guests/linux/fixers/context.js';
import type { VmConfig } from '../schema/config.js';
import { hashOf, sha256 } from '../util/hash.js';
import { inventoryFindings, spaceFinding } from '../providers/vsphere/findings.js';
import type { Action, Finding, GuestEdit, SourceFingerprint, Stage, VmFacts, VmPlan } from '../model/plan.js';

export interface StageRecord {
  status: 'done' | 'failed';
  input_hash: string;
}

export interface PlanVmInput {
  vm: VmConfig;
  sourceType: 'local' | 'vsphere';
  facts: VmFacts;
  fingerprint: SourceFingerprint;
  /** Recorded results of earlier applies for this VM, by stage. */
  recorded: Partial<Record<Stage, StageRecord>>;
  /** Free bytes where apply writes (the output directory's filesystem), when known. */
  freeBytes?: number;
}

/** vm.lab["web-1"] → lab-web-1: a file name that is stable and readable. */
export function vmSlug(address: string): string {
  return address
    .replace(/^vm\./, '')
    .replace(/\["?([^"\]]+)"?\]/g, '-$1')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** A MAC for a NIC with none declared: locally administered, derived from the VM address. */
export function derivedMac(address: string, index: number): string {
  const h = sha256(`${address}#${index}`);
  return `52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

export function guestEdits(
  facts: VmFacts,
  vm: VmConfig,
): { edits: GuestEdit[]; findings: Omit<Finding, 'acknowledged'>[] } {
  const { guest } = facts;
  const findings: Omit<Finding, 'acknowledged'>[] = [];
  if (!guest) {
    findings.push({
      code: 'guest-not-inspected',
      severity: 'warning',
      message:
        'planned from the inventory only (-inspect=false): no guest changes are known, so this plan cannot be applied',
    });
    return { edits: [], findings };
  }
  if (guest.os.type === 'windows') {
    findings.push({
      code: 'windows-unsupported',
      severity: 'critical',
      message: `${guest.os.product}: Windows guests are not supported yet; nothing would be fixed`,
    });
    return { edits: [], findings };
  }
  if (guest.os.type !== 'linux' || guest.os.distro === 'unknown') {
    findings.push({
      code: 'unknown-guest',
      severity: 'critical',
      message: `the guest OS is not recognised (type ${guest.os.type}, distro ${guest.os.distro}); h2k cannot plan its fixes`,
    });
    return { edits: [], findings };
  }
  const ctx = { guest, policy: vm.policy };
  const results: FixResult[] = [fixFstab(ctx), fixGrub(ctx), fixInitramfs(ctx), fixNetwork(ctx), fixVmwareTools(ctx)];
  const edits = results.flatMap((r) => r.edits);
  findings.push(...results.flatMap((r) => r.findings));
  // Commands run after every file edit, so the initramfs is built from the edited configuration;
  // trimming comes last so CONVERT copies only live data.
  const order = (e: GuestEdit) => (e.kind === 'run' ? 1 : e.kind === 'trim' ? 2 : 0);
  edits.sort((a, b) => order(a) - order(b));
  if (vm.policy.trim) edits.push({ kind: 'trim', reason: 'discard unused blocks so CONVERT copies only live data' });
  return { edits, findings };
}

export function planVm(input: PlanVmInput): VmPlan {
  const { vm, facts, fingerprint, recorded } = input;
  const slug = vmSlug(vm.address);
  const ext = vm.policy.output_format === 'raw' ? 'raw' : 'qcow2';
  const outDisk = posix.normalize(posix.join(vm.policy.output_dir, `${slug}.${ext}`));
  const outXml = posix.normalize(posix.join(vm.policy.output_dir, `${slug}.xml`));
  const { edits, findings: guestFindings } = guestEdits(facts, vm);
  const raw = [...guestFindings, ...(facts.inventory ? inventoryFindings(facts.inventory, vm.policy) : [])];
  const copies = input.sourceType === 'vsphere' ? 2 : 1; // the fetched copy, then the output
  const space = spaceFinding(
    copies * facts.disks.reduce((n, d) => n + d.allocatedBytes, 0),
    input.freeBytes,
    vm.policy.output_dir,
  );
  if (space) raw.push(space);
  const findings: Finding[] = raw.map((f) => ({ ...f, acknowledged: vm.policy.acknowledge.includes(f.code) }));
  if (facts.disks.length > 1)
    findings.push({
      code: 'multi-disk-unsupported',
      severity: 'critical',
      message: `${facts.disks.length} disks: only single-disk VMs can be applied yet`,
      acknowledged: false,
    });
  const layers = facts.disks.reduce((n, d) => n + d.chain.length, 0);
  if (layers > facts.disks.length)
    findings.push({
      code: 'snapshot-chain',
      severity: 'info',
      message: `the disks have ${layers - facts.disks.length} snapshot layer(s): the VM is migrated at its current state`,
      acknowledged: false,
    });
  if (facts.guest && facts.hardware.firmware !== facts.guest.firmware)
    findings.push({
      code: 'firmware-mismatch',
      severity: 'warning',
      message: `the KVM guest gets ${facts.hardware.firmware} firmware but the disk boots with ${facts.guest.firmware}`,
      acknowledged: vm.policy.acknowledge.includes('firmware-mismatch'),
    });

  // Each stage's input hash covers what it depends on, so a change upstream redoes everything after.
  const stageInputs: [Stage, unknown, string][] = [];
  if (input.sourceType === 'vsphere') stageInputs.push(['fetch', fingerprint, 'download the disks from the datastore']);
  stageInputs.push(
    ['flatten', fingerprint, 'qcow2 overlay over the source chain; the source is only read'],
    ['inspect', facts, 'confirm the source still matches the facts this plan used'],
    ['plan', { edits, findings }, 'record the accepted plan for this VM'],
    ['fix', edits, `${edits.length} change(s) inside the guest, in one libguestfs session`],
    [
      'convert',
      { format: ext, compress: vm.policy.compress, trim: vm.policy.trim, outDisk },
      `write ${outDisk} (${ext}${vm.policy.compress ? ', compressed' : ''}), allocated blocks only`,
    ],
    [
      'validate',
      { boot: vm.policy.boot_test, timeout: vm.policy.boot_timeout, hw: facts.hardware, outXml },
      vm.policy.boot_test
        ? `qemu-img check, boot test (≤ ${vm.policy.boot_timeout} s), libvirt XML ${outXml}`
        : `qemu-img check, libvirt XML ${outXml} (boot test off)`,
    ],
  );
  const actions: Action[] = [];
  let upstream = '';
  let redo = false;
  let previous: string | undefined;
  for (const [stage, inputs, reason] of stageInputs) {
    const inputHash = hashOf({ upstream, inputs });
    upstream = inputHash;
    const rec = recorded[stage];
    redo ||= !(rec?.status === 'done' && rec.input_hash === inputHash);
    const id = `${vm.address}:${stage}`;
    if (redo) {
      actions.push({
        id,
        stage,
        input_hash: inputHash,
        depends_on: previous && actions.some((a) => a.id === previous) ? [previous] : [],
        reason,
        ...(stage === 'fix' ? { edits } : {}),
      });
    }
    previous = id;
  }
  return {
    address: vm.address,
    source: { address: vm.source, type: input.sourceType, fingerprint },
    facts: summariseFacts(facts),
    actions,
    findings: findings.sort(
      (a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.code < b.code ? -1 : 1),
    ),
    outputs: { disk: { path: outDisk, format: ext }, domain_xml: { path: outXml } },
  };
}

function severityRank(s: Finding['severity']): number {
  return s === 'critical' ? 0 : s === 'warning' ? 1 : 2;
}

function summariseFacts(f: VmFacts): Record<string, unknown> {
  const g = f.guest;
  return {
    disks: f.disks,
    hardware: f.hardware,
    ...(f.inventory ? { inventory: f.inventory } : {}),
    guest: g && {
      os: g.os,
      firmware: g.firmware,
      partition_table: g.partitionTable,
      filesystems: g.filesystems,
      root: g.root,
      mounts: g.mounts,
      kernels: g.kernels,
      initramfs_tool: g.initramfsTool,
      bootloader: g.bootloader,
      network: g.network,
      vmware_tools: g.vmwareTools,
      space: g.space,
      files_sha256: Object.fromEntries(Object.entries(g.files).map(([p, t]) => [p, sha256(t)])),
    },
  };
}
