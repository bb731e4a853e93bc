// OpenSSH's own client for bulk reads: one remote command whose stdout goes straight into a file.
// The JavaScript SSH stack (ssh2) moved a 1 GiB file in 8 s on loopback where `ssh cat` and `sftp`
// took 3.4–4.5 s (docs/benchmarks.md); piping ssh's output through Node (64 KiB at a time) still took
// twice sftp's time, so ssh writes the file itself and the caller reads it back as it grows.
//
// Nothing secret reaches argv, the environment or a file: the host key is pinned by a known_hosts
// file holding the one key the caller already verified (StrictHostKeyChecking=yes), and a password
// reaches ssh through SSH_ASKPASS, a script that reads one line from a mode-600 FIFO h2k holds open.
// The user's ~/.ssh/config, agent and known hosts are not consulted (-F /dev/null, IdentitiesOnly).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { requireTool } from './known-tools.js';
import { reaped, reapWithUs } from './reaper.js';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** known_hosts lines naming the host's pinned key. */
  knownHosts: string;
  password?: string;
  /** A private key file (OpenSSH refuses one that others may read). */
  identity?: string;
}

/** Why ssh ended without the command's own exit status (ssh's exit code 255), from what it said. */
export type SshFailureKind = 'host-key' | 'login' | 'key-permissions' | 'connection';

export class SshFailure extends Error {
  constructor(
    readonly kind: SshFailureKind | 'command',
    /** ssh's (or the remote command's) last line on stderr. */
    readonly detail: string,
    /** The end of what ssh and the command wrote to stderr. */
    readonly stderr: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

export interface RemoteRun {
  /** Settles when ssh has exited: rejects with an SshFailure unless the command exited 0. */
  finished: Promise<void>;
  /** Ends ssh (the caller gave up). */
  stop(): void;
}

const ASKPASS = '#!/bin/sh\nIFS= read -r p < "$H2K_ASKPASS_FIFO" && printf \'%s\\n\' "$p"\n';

function failureKind(stderr: string): SshFailureKind {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/.test(stderr))
    return 'host-key';
  if (/bad permissions|UNPROTECTED PRIVATE KEY FILE/.test(stderr)) return 'key-permissions';
  if (/Permission denied|Too many authentication failures/.test(stderr)) return 'login';
  return 'connection';
}

/** Runs `command` on the target with its stdout written to the file descriptor `stdout`. */
export async function runRemote(target: SshTarget, command: string, stdout: number): Promise<RemoteRun> {
  const dir = mkdtempSync(join(tmpdir(), 'h2k-ssh-'));
  let fifoFd: number | undefined;
  let child: ChildProcess;
  try {
    const known = join(dir, 'known_hosts');
    writeFileSync(known, target.knownHosts, { mode: 0o600 });
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    delete env.SSH_AUTH_SOCK;
    const auth: string[] = [];
    if (target.password !== undefined) {
      const fifo = join(dir, 'password');
      await execa('mkfifo', ['-m', '600', fifo]);
      // Read-write and non-blocking: the open needs no reader yet, and the line waits in the pipe
      // until askpass reads it (or is dropped with the FIFO when ssh never asks).
      fifoFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      writeSync(fifoFd, `${target.password}\n`);
      writeFileSync(join(dir, 'askpass'), ASKPASS, { mode: 0o700 });
      Object.assign(env, {
        SSH_ASKPASS: join(dir, 'askpass'),
        SSH_ASKPASS_REQUIRE: 'force',
        // OpenSSH before 8.4 (RHEL 8's 8.0) ignores SSH_ASKPASS_REQUIRE and asks askpass only with a
        // DISPLAY and no terminal (stdin is /dev/null here); -x keeps X11 out of the connection.
        DISPLAY: env.DISPLAY ?? 'h2k-askpass:0',
        H2K_ASKPASS_FIFO: fifo,
      });
      auth.push(
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'PreferredAuthentications=keyboard-interactive,password',
        '-o',
        'NumberOfPasswordPrompts=1',
      );
    } else {
      auth.push('-o', 'BatchMode=yes', '-o', 'PreferredAuthentications=publickey', '-i', target.identity ?? '');
    }
    const options = [
      `UserKnownHostsFile=${known}`,
      'GlobalKnownHostsFile=/dev/null',
      'StrictHostKeyChecking=yes',
      'UpdateHostKeys=no',
      'CheckHostIP=no',
      'IdentitiesOnly=yes',
      'ConnectTimeout=30',
      // A host that stops answering ends the read within 30 s instead of never.
      'ServerAliveInterval=10',
      'ServerAliveCountMax=3',
      'ControlMaster=no',
      'ControlPath=none',
      'ClearAllForwardings=yes',
      'LogLevel=ERROR',
    ].flatMap((o) => ['-o', o]);
    const args = ['-F', '/dev/null', '-T', '-x', '-a', '-p', String(target.port), '-l', target.user];
    child = spawn(requireTool('ssh'), [...args, ...options, ...auth, '--', target.host, command], {
      env,
      stdio: ['ignore', stdout, 'pipe'],
    });
  } catch (err) {
    if (fifoFd !== undefined) closeSync(fifoFd);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  reapWithUs(child.pid);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4096)));
  const finished = new Promise<void>((resolve, reject) => {
    const done = (code: number | null, err?: Error) => {
      reaped(child.pid);
      if (fifoFd !== undefined) closeSync(fifoFd);
      fifoFd = undefined;
      rmSync(dir, { recursive: true, force: true });
      const last = stderr.trim().split('\n').pop() ?? '';
      if (err) reject(new SshFailure('connection', err.message, stderr));
      else if (code === 0) resolve();
      else if (code === 255 || code === null)
        reject(new SshFailure(failureKind(stderr), last || 'ssh was killed', stderr));
      else reject(new SshFailure('command', last || `exit ${code}`, stderr));
    };
    child.once('error', (err) => done(null, err));
    child.once('close', (code) => done(code));
  });
  finished.catch(() => undefined); // the caller awaits it after the stream
  return { finished, stop: () => child.kill('SIGTERM') };
}
