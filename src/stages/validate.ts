// VALIDATE: qemu-img check of every output disk, the boot test (the shipped libvirt domain on
// throwaway overlays), then the policy's outputs written beside the disks and checked.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bootTest } from '../executors/boot-test.js';
import { outputRecord } from '../executors/workspace.js';
import { prepareBootOverlays } from '../guests/boot.js';
import { unlocksFor } from '../guests/luks.js';
import { familyForGuest } from '../guests/registry.js';
import { vmSlug } from '../model/plan.js';
import type { StageOutcome } from '../model/state.js';
import { checkLabel } from '../model/service-check.js';
import type { MachineSpec } from '../outputs/output.js';
import { OUTPUTS } from '../outputs/registry.js';
import { checkImage } from '../tools/qemu-img.js';
import { FailureWithDetails } from '../util/errors.js';
import { configRelative } from '../util/files.js';
import type { StageContext, StageModule } from './stage.js';

export const validate: StageModule = {
  stage: 'validate',
  plan: (c) => {
    const outFiles = c.outputs.files.map((f) => f.path);
    const shipped = outFiles.length ? `, ${c.vm.policy.outputs.join(' and ')} output ${outFiles.join(', ')}` : '';
    const { boot_timeout: timeout, check_timeout: checkTimeout, checks } = c.vm.policy;
    const inputs = {
      boot: c.boot.on,
      timeout,
      hw: c.hardware,
      outFiles,
      ...(c.network ? { network: c.network } : {}),
      // Only when declared: plans of policies without checks keep their inputs, and their hashes.
      ...(checks.length ? { checks, check_timeout: checkTimeout } : {}),
    };
    const why = c.boot.untestable ? 'no boot test: see the warning' : 'boot test off';
    const notRun = checks.length ? `; ${checks.length} service check(s) not run` : '';
    const services = checks.length
      ? ` with service checks (≤ ${checkTimeout} s): ${checks.map(checkLabel).join(', ')}`
      : '';
    return {
      inputs,
      reason: c.boot.on
        ? `qemu-img check, boot test (≤ ${timeout} s)${services}${shipped}`
        : `qemu-img check${shipped} (${why}${notRun})`,
    };
  },
  hostLocal: false,
  run,
};

async function run({ vm, ws, cfgVm, config, step, progress }: StageContext): Promise<StageOutcome> {
  const format = vm.outputs.disks[0].format;
  for (const disk of ws.outDisks) {
    const problem = await checkImage(disk, format);
    if (problem) throw new Error(`qemu-img check found a problem in ${disk}: ${problem}`);
  }
  let details: Record<string, unknown> = {};
  let note = 'qemu-img check clean';
  const guest = vm.facts.guest;
  const family = guest ? familyForGuest(guest) : undefined;
  const machine: MachineSpec = {
    name: vmSlug(vm.address),
    disks: ws.outDisks,
    format,
    diskBytes: vm.facts.disks.map((d) => d.virtual_bytes),
    hw: vm.facts.hardware,
    ...(family?.domain ? { hints: family.domain } : {}),
  };
  const untestable = family?.boot.untestable;
  const { checks } = cfgVm.policy;
  if (untestable && cfgVm.policy.boot_test) note = `qemu-img check clean; no boot test: ${untestable}`;
  if (cfgVm.policy.boot_test && guest && family && !untestable) {
    step(`booting ${vm.outputs.disks.map((d) => d.path).join(', ')} on a throwaway overlay`);
    const unlocks = unlocksFor(guest, cfgVm.luks_keys);
    const v = await bootTest({
      machine,
      evidence: family.boot,
      prepare: (layers) =>
        prepareBootOverlays(layers, guest, { list: checks, timeoutSec: cfgVm.policy.check_timeout }, unlocks),
      ...(vm.network ? { network: vm.network } : {}),
      checks,
      timeoutSec: cfgVm.policy.boot_timeout,
      workDir: ws.dir,
      onProgress: progress,
      ...(unlocks.length ? { unlock: { prompts: family.boot.passphrasePrompts ?? [], keys: unlocks } } : {}),
    });
    const seconds = Number(v.seconds.toFixed(1));
    details = {
      boot_test: {
        passed: v.passed,
        seconds,
        checks: v.checks,
        ...(v.services.length ? { services: v.services } : {}),
        network: v.network,
        accel: v.accel,
        via: v.via,
        ...(v.screenshot ? { screenshot: configRelative(v.screenshot, config.dir) } : {}),
        serial_log: configRelative(v.serialLog, config.dir),
      },
    };
    if (!v.passed)
      throw new FailureWithDetails(`boot test failed: ${v.failure}`, `serial log: ${v.serialLog}`, details);
    const net = v.network ? `${v.network.ip} (${v.network.how})` : '';
    const services = v.services.length ? `; ${v.services.length} service check(s) passed` : '';
    note =
      `boot test passed in ${v.seconds.toFixed(0)} s (${v.via}, ${v.accel}): default target, root read-write, ` +
      `fstab mounted, network ${net}${services}`;
  }
  // The outputs' files are written once the disks are known good, each checked as written.
  const written: string[] = [];
  for (const name of cfgVm.policy.outputs) {
    const paths = ws.outFiles.filter((_, i) => vm.outputs.files[i].output === name);
    const output = OUTPUTS[name];
    output.render(machine).forEach((text, i) => {
      mkdirSync(dirname(paths[i]), { recursive: true });
      writeFileSync(paths[i], text);
    });
    const problem = await output.check(paths);
    if (problem) throw new Error(problem);
    written.push(...paths);
  }
  return { outputs: await Promise.all(written.map((p) => outputRecord(p, config.dir))), note, details };
}
