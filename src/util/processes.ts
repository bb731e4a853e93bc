// Whether a process exists, for records that name the process holding something (a lock, a claim).

/** The process runs (EPERM: it runs as another user, which still counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
