// A stage of the pipeline (FETCH → FLATTEN → INSPECT → PLAN → FIX → CONVERT → VALIDATE): one module
// per stage declaring what it depends on at plan time (the planner's StagePlan), whether its result
// stays on the host that made it, where it writes, and what it runs. index.ts holds them in order;
// the planner, the apply runner, the fleet and refresh iterate that list.
import type { Workspace } from '../executors/workspace.js';
import type { Action, VmPlan } from '../model/plan.js';
import type { StageOutcome } from '../model/state.js';
import type { StagePlan } from '../planner/stage-plan.js';
import type { SourceDriver } from '../providers/driver.js';
import type { Config, SourceConfig, VmConfig } from '../schema/config.js';

/** What a stage runs with: the VM's plan and configuration, its workspace, its source's driver. */
export interface StageContext {
  config: Config;
  vm: VmPlan;
  cfgVm: VmConfig;
  action: Action;
  planHash: string;
  ws: Workspace;
  source: { config: SourceConfig; driver: SourceDriver };
  /** What the stage is doing now (a step of FIX, the disk it fetches), shown under the stage. */
  step(message: string): void;
  /** How far a long step is (bytes, rate and time left; the boot's elapsed time): shown live in a
   *  terminal, at most every 10 s in a log. */
  progress(message: string): void;
}

export interface StageModule extends StagePlan {
  /** Its result stays in the host's .h2k/ workspace (fetched files, overlays): a fleet worker on
   *  another host must redo it (CONVERT and VALIDATE write to output_dir, which a fleet shares). */
  hostLocal: boolean;
  run(ctx: StageContext): Promise<StageOutcome>;
}
