// A process's /proc/<pid>/stat, read from Linux.
import { readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat from the state (field 3) on: field n is at index n - 3. The command
 *  name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
 *  undefined once the process is gone. */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time a process has used (user and system, fields 14 and 15), in clock ticks. */
export function cpuTicks(pid: number | undefined): number | undefined {
  const f = pid ? procStat(pid) : undefined;
  return f ? Number(f[11]) + Number(f[12]) : undefined;
}
