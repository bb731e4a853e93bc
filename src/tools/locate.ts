// Finds the external programs h2k drives: PATH first, then the tools directory the setup script
// fills (govc and vcsim are built there).
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export function toolsDir(): string {
  return process.env.H2K_TOOLS_DIR ?? join(homedir(), '.cache', 'h2k', 'tools');
}

export function cacheDir(): string {
  return process.env.H2K_CACHE_DIR ?? join(homedir(), '.cache', 'h2k');
}

export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), join(toolsDir(), 'bin')];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** UEFI firmware for the boot test (Debian's ovmf package): OVMF's code and variable template; for
 *  Secure Boot the build that enforces it (it needs SMM) and variables with Microsoft's keys enrolled. */
export function findOvmf(secureBoot = false): { code: string; vars: string } | undefined {
  const pairs: [string, string][] = secureBoot
    ? [['/usr/share/OVMF/OVMF_CODE_4M.secboot.fd', '/usr/share/OVMF/OVMF_VARS_4M.ms.fd']]
    : [
        ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
        ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
      ];
  const hit = pairs.find(([c, v]) => existsSync(c) && existsSync(v));
  return hit && { code: hit[0], vars: hit[1] };
}

/** libguestfs needs a host kernel for its appliance (Debian: linux-image-amd64): as supermin picks
 *  it, the newest that has its modules. */
export function findApplianceKernel(): string | undefined {
  try {
    return readdirSync('/boot')
      .filter((f) => f.startsWith('vmlinuz-') && existsSync(join('/lib/modules', f.slice('vmlinuz-'.length))))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .pop();
  } catch {
    return undefined;
  }
}
