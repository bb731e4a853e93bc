// The migration report from state, audit and the kept plans: `h2k apply` writes it beside the
// outputs it made, `h2k report` rebuilds it at any time. The state says what was done (stage records,
// boot evidence, outputs), the plan a stage ran under says what was intended (hardware, guest
// changes, findings).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plan } from '../model/plan.js';
import { STAGES } from '../model/plan.js';
import type { MigrationReport, ReportBoot, ReportStage, Verdict, VmReport } from '../model/report.js';
import type { AuditRecord, StageResult, VmState } from '../model/state.js';
import { type ReportAssets, renderReportHtml } from '../render/report-html.js';
import type { StateStore } from '../state/store.js';
import { consoleLines } from '../util/console-lines.js';
import { writeFileAtomic } from '../util/files.js';

const CONSOLE_LINES = 40;

/** PURE: one VM's report from its stage records and the plans they name (by hash). */
export function vmReport(address: string, vm: VmState, plans: Map<string, Plan>, audit: AuditRecord[]): VmReport {
  const recorded = STAGES.flatMap((s) => (vm.stages[s] ? [[s, vm.stages[s]] as const] : []));
  const stages: ReportStage[] = recorded.map(([stage, r]) => ({
    stage,
    status: r.status,
    ...(r.host ? { host: r.host } : {}),
    started_at: r.started_at,
    seconds: Math.max(0, (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000),
    ...(r.error ? { error: r.error } : {}),
  }));
  const newest = [...recorded].sort(([, a], [, b]) => (a.finished_at < b.finished_at ? -1 : 1)).at(-1)?.[1];
  const planOf = (r?: StageResult) => (r?.plan_hash ? plans.get(r.plan_hash)?.vms[address] : undefined);
  const vmPlan = planOf(newest);
  const planned = vmPlan?.actions.map((a) => a.stage) ?? [];
  const bad = stages.find((s): s is ReportStage & { status: 'failed' | 'interrupted' } => s.status !== 'done');
  const verdict: Verdict = bad
    ? bad.status
    : vm.stages.validate?.status === 'done' && planned.every((s) => vm.stages[s]?.status === 'done')
      ? 'migrated'
      : 'incomplete';
  const outputs = [...(vm.stages.convert?.outputs ?? []), ...(vm.stages.validate?.outputs ?? [])];
  const boot = vm.stages.validate?.details?.boot_test as ReportBoot | undefined;
  const started = [...audit].reverse().find((r) => r.event === 'apply-started' && r.plan_hash === newest?.plan_hash);
  const firstDisk = vmPlan?.outputs.disks[0]?.path ?? vm.stages.convert?.outputs[0]?.path;
  return {
    address,
    verdict,
    ...(bad ? { at: bad.stage } : stages.length ? { at: stages[stages.length - 1].stage } : {}),
    stages,
    seconds: stages.reduce((n, s) => n + s.seconds, 0),
    bytes: (vm.stages.convert?.outputs ?? []).reduce((n, o) => n + o.size, 0),
    outputs,
    ...(firstDisk ? { output_dir: dirname(firstDisk) } : {}),
    ...(vmPlan && newest?.plan_hash ? { plan_hash: newest.plan_hash } : {}),
    ...(vmPlan
      ? {
          source: { address: vmPlan.source.address, facts: vmPlan.facts.source, disks: vmPlan.facts.disks },
          target: vmPlan.facts.hardware,
          ...(vmPlan.facts.guest ? { guest: vmPlan.facts.guest } : {}),
        }
      : {}),
    findings: vmPlan?.findings ?? [],
    edits: planOf(vm.stages.fix)?.actions.find((a) => a.stage === 'fix')?.edits ?? [],
    ...(boot ? { boot } : {}),
    ...(started ? { applied: { who: started.who, host: started.host, time: started.time } } : {}),
  };
}

/** The report of every VM in the state (or those `only` names), with the plans their records name. */
export async function buildReport(state: StateStore, only?: (address: string) => boolean): Promise<MigrationReport> {
  const entries = Object.entries(state.data.vms)
    .filter(([a]) => !only || only(a))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const hashes = new Set(entries.flatMap(([, vm]) => Object.values(vm.stages).flatMap((r) => r?.plan_hash ?? [])));
  const plans = new Map<string, Plan>();
  for (const hash of hashes) {
    const plan = await state.keptPlan(hash);
    if (plan) plans.set(hash, plan);
  }
  const { records, problems } = await state.backend.verifyAudit(state.data.audit_head);
  return {
    lineage: state.data.lineage,
    serial: state.data.serial,
    audit: {
      records: records.length,
      ...(problems.length ? { problem: `line ${problems[0].line}: ${problems[0].problem}` } : {}),
    },
    vms: entries.map(([address, vm]) => vmReport(address, vm, plans, records)),
  };
}

/** What the report embeds from the configuration directory: screenshots, the console's last lines. */
export function reportAssets(report: MigrationReport, configDir: string): ReportAssets {
  const assets: ReportAssets = { screenshots: {}, consoles: {} };
  for (const vm of report.vms) {
    const shot = vm.boot?.screenshot && join(configDir, vm.boot.screenshot);
    if (shot && existsSync(shot)) assets.screenshots[vm.address] = readFileSync(shot).toString('base64');
    const log = vm.boot?.serial_log && join(configDir, vm.boot.serial_log);
    if (log && existsSync(log)) assets.consoles[vm.address] = consoleTail(readFileSync(log, 'utf8'));
  }
  return assets;
}

/** The console's last lines as a person reads them, runs of blank lines as one. */
export function consoleTail(text: string): string {
  const lines = consoleLines(text).filter((l, i, all) => l.trim() || (i > 0 && all[i - 1].trim()));
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  return lines.slice(-CONSOLE_LINES).join('\n');
}

/**
 * Writes report.html into each output directory of the state's VMs, each with the VMs it holds; returns the files
 * written (config-relative) and their VM counts.
 */
export async function writeReports(
  state: StateStore,
  configDir: string,
  now: Date,
): Promise<{ path: string; vms: number }[]> {
  const all = await buildReport(state);
  const dirs = [...new Set(all.vms.flatMap((vm) => vm.output_dir ?? []))].sort();
  return dirs.map((dir) => {
    const report = { ...all, vms: all.vms.filter((vm) => vm.output_dir === dir) };
    const path = join(dir, 'report.html');
    writeFileAtomic(join(configDir, path), renderReportHtml(report, reportAssets(report, configDir), now));
    return { path, vms: report.vms.length };
  });
}
