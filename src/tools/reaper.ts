// Helper processes that must not outlive h2k. A kill -9 of h2k (or of its process group) would
// leave a guestfish daemon (it detaches), its appliance, a qemu-img convert, a boot-test qemu or an
// nbdfuse mount running, still writing the overlay or the output that the next apply redoes. One
// watcher per h2k process, in a session of its own so that a group kill does not reach it, polls
// h2k's pid once a second and kills every helper still listed once h2k is gone.
//
// A helper is listed by its pid AND its start time (field 22 of /proc/PID/stat, in clock ticks since
// boot). PIDs wrap every few minutes on a busy host (pid_max 32768, a process per guestfish command):
// a listed helper that ended without being reaped (crashed, killed by the full-disk watch) may have
// handed its pid to another h2k's daemon or a Postgres backend. The watcher kills a pid only while
// its start time is still the one recorded.
//
// A helper that is not a child process (a transient libvirt domain, started by libvirtd) is listed
// as the command that ends it, before it is started: a kill between its start and the moment its
// pid is known still ends it.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { procStat } from '../util/proc.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../util/shell.js';

/** pid → start time of each helper that must die with h2k. */
const live = new Map<number, string>();
/** Commands that end helpers h2k did not spawn, by the name they were listed under. */
const enders = new Map<string, string[]>();
let list: string | undefined;

/** A process's start time, which with its pid names it uniquely; undefined once it is gone. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

// In the watcher, `set -- $rest` makes the state (field 3) $1, so the start time (field 22) is $20.
// A line `run CMD` runs the (shell-quoted) CMD.
const WATCHER =
  'while kill -0 "$3" 2>/dev/null; do sleep 1; done; ' +
  'while read -r p t; do ' +
  'if [ "$p" = run ]; then sh -c "$t" >/dev/null 2>&1; continue; fi; ' +
  's=$(cat "/proc/$p/stat" 2>/dev/null) || continue; s=${s##*) }; set -- $s; ' +
  '[ "${20}" = "$t" ] && kill -9 "$p" 2>/dev/null; ' +
  'done < "$1"; rm -rf "$2"';

const quoted = (argv: string[]) => argv.map(shellQuote).join(' ');

function startWatcher(): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-reaper-'));
  const file = join(dir, 'pids');
  writeFileSync(file, '');
  spawn('sh', ['-c', WATCHER, 'h2k-reaper', file, dir, String(process.pid)], {
    detached: true,
    stdio: 'ignore',
  }).unref();
  return file;
}

/** Kills every listed helper that is still the process it was. */
function killAll(): void {
  for (const [pid, start] of live)
    if (processStartTime(pid) === start)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
}

function save(): void {
  if (list === undefined) {
    list = startWatcher();
    // An h2k that exits on its own (a signal's handler, an error) ends its helpers at once; the
    // watcher is for the deaths that run no code (SIGKILL, the OOM killer).
    process.on('exit', killAll);
  }
  writeFileSync(
    list,
    [...live].map(([pid, start]) => `${pid} ${start}\n`).join('') +
      [...enders.values()].map((argv) => `run ${quoted(argv)}\n`).join(''),
  );
}

/** The helper dies with h2k, however h2k ends. A helper already gone is not listed. */
export function reapWithUs(pid: number | undefined): void {
  if (!pid) return;
  const start = processStartTime(pid);
  if (start === undefined) return;
  live.set(pid, start);
  save();
}

/** `argv` ends a helper h2k does not spawn itself (`name` lists it); run when h2k dies without
 *  running its own code. List it before the helper starts. */
export function endWithUs(name: string, argv: string[]): void {
  enders.set(name, argv);
  save();
}

/** The helper `name` ended: its command is no longer run. */
export function ended(name: string): void {
  if (enders.delete(name)) save();
}

/** The helper ended (or was closed): it is no longer killed. */
export function reaped(pid: number | undefined): void {
  if (!pid || !live.delete(pid)) return;
  save();
}
