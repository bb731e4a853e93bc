// Helper processes that must not outlive h2k. A kill -9 of h2k (or of its process group) would
// leave a guestfish daemon (it detaches), its appliance, a qemu-img convert, a boot-test qemu or an
// nbdfuse mount running, still writing the overlay or the output that the next apply redoes. One
// watcher per h2k process, in a session of its own so that a group kill does not reach it, polls
// h2k's pid once a second and kills every helper still listed once h2k is gone.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<number>();
let list: string | undefined;

function startWatcher(): string {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-reaper-'));
  const file = join(dir, 'pids');
  writeFileSync(file, '');
  const script =
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    'for p in $(cat "$1"); do kill -9 "$p" 2>/dev/null; done; rm -rf "$2"';
  spawn('sh', ['-c', script, 'h2k-reaper', file, dir], { detached: true, stdio: 'ignore' }).unref();
  return file;
}

function save(): void {
  list ??= startWatcher();
  writeFileSync(list, [...live].join('\n'));
}

/** The helper dies with h2k, however h2k ends. */
export function reapWithUs(pid: number | undefined): void {
  if (!pid) return;
  live.add(pid);
  save();
}

/** The helper ended (or was closed): its pid may be reused, so it is no longer killed. */
export function reaped(pid: number | undefined): void {
  if (!pid || !live.delete(pid)) return;
  save();
}
