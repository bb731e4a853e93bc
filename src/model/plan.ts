// The plan: what apply will do, decided entirely before acting. Shared by plan, show and apply.
// Its JSON (canonical, snake_case keys) is the plan file format; PLAN_FORMAT_VERSION names it.
import type { DiskFacts, HardwareFacts, SourceFingerprint, SourceHardware } from './facts.js';
import type { GuestFacts, GuestFile } from './guest-facts.js';
import type { NicIntent } from './guest-network.js';
import type { OutputName } from './outputs.js';
import type { SourceFacts } from './source-facts.js';

/** 1.3: each VM's effective policy, and its attribute changes since the last apply. 1.2: outputs as
 *  a list of files by output (was domain_xml). 1.1: snake_case fact keys, one output per disk, typed
 *  guest files, a plan mode. */
export const PLAN_FORMAT_VERSION = '1.3';

export const STAGES = ['fetch', 'flatten', 'inspect', 'plan', 'fix', 'convert', 'validate'] as const;
export type Stage = (typeof STAGES)[number];

export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  /** Stable identifier, the word a policy's acknowledge list uses. */
  code: string;
  severity: Severity;
  message: string;
  acknowledged: boolean;
}

/** A finding before the policy says whether it is acknowledged. */
export type RawFinding = Omit<Finding, 'acknowledged'>;

/** One change inside the guest, exactly as FIX will perform it. */
export type GuestEdit =
  /** `create`: the file does not exist yet (`before` is then empty). */
  | { kind: 'write'; path: string; before: string; after: string; reason: string; create?: true }
  | { kind: 'delete'; path: string; before: GuestFile; reason: string }
  | { kind: 'symlink'; path: string; target: string; reason: string }
  /** A binary file copied inside the guest (a UEFI fallback loader); `sha256` is what the plan saw at `from`. */
  | { kind: 'copy'; from: string; path: string; sha256: string; reason: string }
  /** A host file copied into the guest: `from` is relative to the policy's virtio_win. */
  | { kind: 'upload'; from: string; path: string; sha256: string; bytes: number; reason: string }
  /** Values set in a registry hive file. `before`/`after`: the affected keys as .reg text (shown as a
   *  diff); `merge`: the .reg text hivexregedit applies; `sha256`: the hive file as the plan saw it. */
  | {
      kind: 'registry';
      hive: string;
      prefix: string;
      sha256: string;
      before: string;
      after: string;
      merge: string;
      reason: string;
    }
  | { kind: 'run'; command: string[]; reason: string }
  | { kind: 'trim'; reason: string };

export interface Action {
  id: string;
  stage: Stage;
  /** What apply records when the stage completes; a later plan compares against it. */
  input_hash: string;
  depends_on: string[];
  reason: string;
  edits?: GuestEdit[];
}

/** Everything providers and inspection learned about one VM: the planner's input. */
export interface VmFacts {
  source: SourceFacts;
  disks: DiskFacts[];
  /** Absent when plan ran with -inspect=false (control plane only): such a plan cannot be applied. */
  guest?: GuestFacts;
  hardware: SourceHardware;
}

/** A guest as the plan records it: file contents are replaced by their hashes. */
export type PlannedGuest = DistributiveOmit<GuestFacts, 'files' | 'registry'> & {
  files_sha256?: Record<string, string>;
  /** Windows: the registry keys inspection read, as one hash. */
  registry_sha256?: string;
};
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface PlannedFacts {
  source: SourceFacts;
  disks: DiskFacts[];
  guest?: PlannedGuest;
  /** The KVM guest's hardware. */
  hardware: HardwareFacts;
}

export interface VmOutputs {
  /** One converted image per source disk, in the VM's disk order. */
  disks: { path: string; format: 'qcow2' | 'raw' }[];
  /** What each of the policy's outputs writes beside the disks (src/outputs/). */
  files: { output: OutputName; path: string }[];
}

/** One attribute of a VM's KVM hardware, outputs or policy that differs from the plan its last apply
 *  ran: `~ hardware.cpus: 2 → 4`, `+ hardware.nics[1]`, `- policy.checks[0]`. */
export interface AttributeChange {
  op: '+' | '-' | '~';
  /** hardware.nics[1].model, policy.networks["VM Network"]: where in { hardware, outputs, policy }. */
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface VmPlan {
  address: string;
  source: { address: string; type: SourceFacts['type']; fingerprint: SourceFingerprint };
  facts: PlannedFacts;
  actions: Action[];
  findings: Finding[];
  outputs: VmOutputs;
  /** The policy's settings as this plan applies them (defaults included): what the next plan diffs. */
  policy: Record<string, unknown>;
  /** What changed in hardware, outputs and policy since the plan of the VM's last apply; only on a
   *  VM with actions (the changes that make stages run again), absent when nothing did. */
  changes?: AttributeChange[];
  /** The interfaces the guest configures after FIX (absent when its network backend is not read):
   *  VALIDATE's boot test holds the guest to them. */
  network?: NicIntent[];
}

export interface Drift {
  vm: string;
  stage?: Stage;
  path?: string;
  problem: string;
}

/** normal: converge the VMs; refresh-only: only make the state match what is on disk. */
export type PlanMode = 'normal' | 'refresh-only';

export interface Plan {
  format_version: string;
  mode: PlanMode;
  config_hash: string;
  /** What changed on disk since the last apply, found by refreshing before planning. */
  drift: Drift[];
  state: { serial: number; lineage: string | null };
  vms: Record<string, VmPlan>;
}

/** What an earlier apply recorded for one stage, as the planner compares it. */
export interface StageRecord {
  status: 'done' | 'failed';
  input_hash: string;
}

/** One drift item as a line: "vm.a convert out/a.qcow2: deleted since it was produced". */
export function describeDrift(d: Drift): string {
  return `${d.vm}${d.stage ? ` ${d.stage}` : ''}${d.path ? ` ${d.path}` : ''}: ${d.problem}`;
}

/** One attribute change as a line: "~ hardware.cpus: 2 → 4", "+ policy.checks[1]: {…}". */
export function describeChange(c: AttributeChange): string {
  const v = (x: unknown) => JSON.stringify(x) ?? 'null';
  const value = c.op === '~' ? `${v(c.before)} → ${v(c.after)}` : v(c.op === '+' ? c.after : c.before);
  return `${c.op} ${c.path}: ${value}`;
}

export function hasChanges(plan: Plan): boolean {
  if (plan.mode === 'refresh-only') return plan.drift.length > 0;
  return Object.values(plan.vms).some((v) => v.actions.length > 0);
}

export function blockingFindings(plan: Plan): (Finding & { vm: string })[] {
  return Object.values(plan.vms).flatMap((v) =>
    v.findings.filter((f) => f.severity === 'critical' && !f.acknowledged).map((f) => ({ vm: v.address, ...f })),
  );
}

/** vm.lab["web-1"] → lab-web-1: a file name that is stable and readable. */
export function vmSlug(address: string): string {
  return address
    .replace(/^vm\./, '')
    .replace(/\["?([^"\]]+)"?\]/g, '-$1')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
}
