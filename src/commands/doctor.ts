import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { execa } from 'execa';
import { H2kCommand } from '../cli/base-command.js';
import { libvirtUnavailable } from '../outputs/libvirt/transient.js';
import { EXIT } from '../util/errors.js';
import { type ProbeResult, describeEnv, guestfsEnv } from '../tools/guestfs-backend.js';
import { KNOWN_TOOLS } from '../tools/known-tools.js';
import { applianceKernelEnv } from '../tools/appliance-kernel.js';
import { findApplianceKernel, findOvmf, findTool } from '../tools/locate.js';

interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  version?: string;
  path?: string;
  hint?: string;
}

export default class Doctor extends H2kCommand {
  static override summary = 'Check the external tools h2k needs and whether libguestfs can launch.';
  static override description = `Reports each external tool (found or not, version, path), the UEFI firmware and
appliance kernel, and launches the libguestfs appliance once to find backend settings that work
here (some machines have /dev/kvm yet hang on it: then TCG is used). The working settings are
cached for plan and apply. Every problem comes with a fix.

Exit status: 0 when everything required is usable, 1 otherwise.`;
  static override examples = [
    { description: 'Full check, including a libguestfs launch (15-60 s)', command: '<%= config.bin %> doctor' },
    {
      description: 'Quick check without launching the appliance',
      command: '<%= config.bin %> doctor --no-launch --json',
    },
  ];
  static override flags = {
    launch: Flags.boolean({ description: 'Launch the libguestfs appliance to test it.', default: true, allowNo: true }),
    json: Flags.boolean({ description: 'Machine-readable output.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const checks: Check[] = [];
    for (const t of KNOWN_TOOLS) {
      const path = findTool(t.name);
      if (!path) {
        checks.push({
          name: t.name,
          ok: false,
          required: t.required,
          hint: `install ${t.pkg} (${t.purpose}); \`npm run setup\` installs everything`,
        });
        continue;
      }
      // vcsim has no version flag: it is built together with govc, so govc's version stands for both.
      const r = t.versionArgs.length ? await execa(path, t.versionArgs, { reject: false, timeout: 10_000 }) : undefined;
      const version = r && /(\d+\.\d+(\.\d+)?)/.exec(`${r.stdout}\n${r.stderr}`)?.[1];
      checks.push({ name: t.name, ok: true, required: t.required, path, ...(version ? { version } : {}) });
    }
    const ovmf = findOvmf();
    checks.push(
      ovmf
        ? { name: 'OVMF firmware', ok: true, required: false, path: ovmf.code }
        : {
            name: 'OVMF firmware',
            ok: false,
            required: false,
            hint: 'install ovmf (UEFI guests cannot be boot-tested without it)',
          },
    );
    // nbdfuse mounts remote vSphere disks; containers often lack the device.
    const fuse = existsSync('/dev/fuse');
    checks.push(
      fuse
        ? { name: '/dev/fuse', ok: true, required: false, path: '/dev/fuse' }
        : {
            name: '/dev/fuse',
            ok: false,
            required: false,
            hint:
              'vSphere plans cannot read disks remotely without it (load the fuse module, or give the container ' +
              '--device /dev/fuse)',
          },
    );
    // VALIDATE boots the shipped libvirt domain in libvirtd; without one it boots through qemu directly.
    const noLibvirt = await libvirtUnavailable();
    checks.push(
      noLibvirt
        ? {
            name: 'libvirtd',
            ok: false,
            required: false,
            hint:
              `${noLibvirt}: the boot test then runs qemu directly, not the domain h2k ships (install ` +
              'libvirt-daemon-system; without systemd start `virtlogd -d` and `libvirtd -d`)',
          }
        : { name: 'libvirtd', ok: true, required: false, path: process.env.LIBVIRT_DEFAULT_URI ?? 'default URI' },
    );
    const kernel = findApplianceKernel();
    checks.push(
      kernel
        ? { name: 'appliance kernel', ok: true, required: true, path: await applianceKernelPath(kernel) }
        : {
            name: 'appliance kernel',
            ok: false,
            required: true,
            hint: 'install linux-image-amd64 (libguestfs builds its appliance from the host kernel)',
          },
    );

    let launch: (ProbeResult & { ok: true }) | { ok: false; error: string; tried?: ProbeResult['tried'] } | undefined;
    if (flags.launch && findTool('guestfish')) {
      if (!flags.json) this.err('launching the libguestfs appliance (15-60 s)...');
      try {
        launch = { ok: true, ...(await guestfsEnv({ refresh: true })) };
      } catch (err) {
        launch = { ok: false, error: (err as Error).message, tried: (err as { tried?: ProbeResult['tried'] }).tried };
      }
    }
    const healthy = checks.every((c) => c.ok || !c.required) && (launch === undefined || launch.ok);

    if (flags.json) {
      this.out(JSON.stringify({ healthy, checks, ...(launch ? { libguestfs: launch } : {}) }, null, 2));
    } else {
      const p = this.paint();
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        const mark = c.ok ? p.green('ok  ') : c.required ? p.red('FAIL') : p.yellow('warn');
        const detail = c.ok ? `${c.version ?? ''} ${p.dim(c.path ?? '')}`.trim() : `not found — ${c.hint}`;
        this.out(`${mark} ${c.name.padEnd(width)}  ${detail}`);
      }
      if (launch?.ok) {
        this.out(
          `${p.green('ok  ')} ${'libguestfs launch'.padEnd(width)}  ${describeEnv(launch.env)} ` +
            `(${launch.seconds?.toFixed(1)} s)`,
        );
        for (const t of launch.tried.filter((x) => !x.ok))
          this.out(`     ${''.padEnd(width)}  ${p.dim(`${describeEnv(t.env)}: ${t.error}`)}`);
        if (launch.env.LIBGUESTFS_BACKEND_SETTINGS === 'force_tcg')
          this.out(
            `     ${''.padEnd(width)}  ` +
              `${p.dim('KVM does not work for the appliance here; h2k uses TCG (slower) automatically.')}`,
          );
      } else if (launch) {
        this.out(`${p.red('FAIL')} ${'libguestfs launch'.padEnd(width)}  ${launch.error}`);
        this.out(
          `     ${''.padEnd(width)}  hint: run \`libguestfs-test-tool\` for the full log; check the appliance ` +
            `kernel is readable (chmod 0644 /boot/vmlinuz-*)`,
        );
      } else if (!flags.launch) this.out(`${p.yellow('skip')} libguestfs launch (--no-launch)`);
      this.out(
        healthy
          ? p.green('\nAll required tools are usable.')
          : p.red('\nSome required tools are missing or broken: see the hints above.'),
      );
    }
    if (!healthy) this.exitWith(EXIT.error);
  }
}

/** The host kernel the appliance boots, and the unpacked copy it boots from when there is one. */
async function applianceKernelPath(kernel: string): Promise<string> {
  const unpacked = (await applianceKernelEnv()).SUPERMIN_KERNEL;
  return `/boot/${kernel}${unpacked ? ` (booted unpacked: ${unpacked})` : ''}`;
}
