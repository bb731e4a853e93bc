// One SSH connection to an ESXi host (ssh2): SFTP for listing and reading the datastore's small
// files, exec for vim-cmd. The host key is checked against the pinned SHA256 fingerprint before any
// credential is sent; the key seen is kept so nbdkit's ssh plugin and OpenSSH's client (FETCH's bulk
// copy) can be given exactly that key as their known host.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client, SFTPWrapper } from 'ssh2';
import { UserError } from '../../util/errors.js';
import { lazyRequire } from '../../util/lazy-require.js';
import type { EsxiSourceConfig } from './config.js';

const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');

export class EsxiError extends UserError {}

export interface RemoteStat {
  size: number;
  mtime_ms: number;
  directory: boolean;
}

/** "SHA256:…" as ssh-keygen -l prints it, of a public key blob. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The known_hosts line for the key, as libssh (nbdkit's ssh plugin) reads it. */
function knownHostsLine(host: string, port: number, blob: Buffer): string {
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
  return `${port === 22 ? host : `[${host}]:${port}`} ${type} ${blob.toString('base64')}\n`;
}

export class EsxiSession {
  /** The connection closed under us (the host went away). */
  private lost = false;

  private constructor(
    readonly source: EsxiSourceConfig,
    private readonly client: Client,
    private readonly sftp: SFTPWrapper,
    /** A known_hosts line holding the host key this session verified. */
    readonly knownHosts: string,
  ) {
    client.on('close', () => this.failAll());
    client.on('error', () => this.failAll());
  }

  get where(): string {
    return `${this.source.username}@${this.source.host}:${this.source.port}`;
  }

  static async connect(source: EsxiSourceConfig): Promise<EsxiSession> {
    const client = new (ssh2().Client)();
    let seen: Buffer | undefined;
    const where = `${source.host}:${source.port}`;
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (err: Error & { level?: string; code?: string }) => {
        if (seen && source.host_key && fingerprint(seen) !== source.host_key)
          reject(
            new EsxiError(
              `${source.address}: the host key of ${where} is ${fingerprint(seen)}, not the pinned ${source.host_key}`,
              'if the host was reinstalled, check the new key on its console ' +
                '(ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub) and update host_key',
            ),
          );
        else if (err.level === 'client-authentication')
          reject(
            new EsxiError(
              `${source.address}: ${source.username}@${where} refused the ${source.password ? 'password' : 'key'}`,
              'check username and password (or private_key_file); ESXi must allow SSH logins for that user',
            ),
          );
        else if (
          err.level === 'client-timeout' ||
          err.code === 'ECONNREFUSED' ||
          err.code === 'EHOSTUNREACH' ||
          err.code === 'ENOTFOUND'
        )
          reject(
            new EsxiError(
              `${source.address}: cannot reach ${where} (${err.code ?? err.message})`,
              'check host and port, and that SSH is enabled on the ESXi host',
            ),
          );
        else
          reject(
            new EsxiError(`${source.address}: SSH to ${where} failed: ${err.message}`, 'run with --debug for details'),
          );
      });
      let privateKey: Buffer | undefined;
      try {
        privateKey = source.private_key_file ? readFileSync(source.private_key_file) : undefined;
      } catch (err) {
        reject(
          new EsxiError(`${source.address}: cannot read private_key_file: ${(err as Error).message}`, 'check the path'),
        );
        return;
      }
      client.connect({
        host: source.host,
        port: source.port,
        username: source.username,
        ...(source.password ? { password: String(source.password.reveal()) } : {}),
        ...(privateKey ? { privateKey } : {}),
        readyTimeout: 30_000,
        hostVerifier: (key: Buffer) => {
          seen = key;
          return source.insecure && !source.host_key ? true : fingerprint(key) === source.host_key;
        },
      });
    });
    try {
      const sftp = await new Promise<SFTPWrapper>((res, rej) => client.sftp((err, s) => (err ? rej(err) : res(s))));
      return new EsxiSession(source, client, sftp, knownHostsLine(source.host, source.port, seen!));
    } catch (err) {
      client.end();
      throw new EsxiError(
        `${source.address}: ${where} offers no SFTP: ${(err as Error).message}`,
        'enable the SFTP subsystem of the host',
      );
    }
  }

  /** Requests in flight: a connection that closes under them fails them (ssh2 would leave them
   *  pending forever, and h2k would end with nothing left to wait for). */
  private readonly pending = new Set<() => void>();

  private failAll(): void {
    this.lost = true;
    for (const fail of [...this.pending]) fail();
  }

  /** One SFTP or exec request, answered by `done`, failed if the connection goes. */
  private request<T>(what: string, path: string, start: (done: (err: Error | undefined, v?: T) => void) => void) {
    return new Promise<T>((resolve, reject) => {
      const fail = () => {
        this.pending.delete(fail);
        reject(this.failed(what, path, new Error('connection closed')));
      };
      if (this.lost) return fail();
      this.pending.add(fail);
      start((err, v) => {
        this.pending.delete(fail);
        if (err) reject(err);
        else resolve(v as T);
      });
    });
  }

  /** The file's size and time, or undefined when it does not exist. */
  async stat(path: string): Promise<RemoteStat | undefined> {
    const st = await this.request<import('ssh2').Stats | undefined>('stat', path, (done) =>
      this.sftp.stat(path, (err, s) =>
        err && (err as { code?: number }).code === 2
          ? done(undefined, undefined)
          : done(err ? this.failed('stat', path, err) : undefined, s),
      ),
    );
    return st ? { size: st.size, mtime_ms: st.mtime * 1000, directory: st.isDirectory() } : undefined;
  }

  list(path: string): Promise<string[]> {
    return this.request('list', path, (done) =>
      this.sftp.readdir(path, (err, list) =>
        done(err ? this.failed('list', path, err) : undefined, list?.map((e) => e.filename).sort()),
      ),
    );
  }

  private open(path: string): Promise<Buffer> {
    return this.request('open', path, (done) =>
      this.sftp.open(path, 'r', (err, h) => done(err ? this.failed('open', path, err) : undefined, h)),
    );
  }

  private async closeHandle(handle: Buffer): Promise<void> {
    if (this.lost) return;
    await this.request<void>('close', 'a file', (done) => this.sftp.close(handle, () => done(undefined)));
  }

  /** Exactly `length` bytes at `offset` (fewer only at the end of the file): servers may answer short. */
  private async readAt(handle: Buffer, path: string, offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = await this.request<number>('read', path, (answer) =>
        this.sftp.read(handle, buf, done, length - done, offset + done, (err, bytes) =>
          answer(err ? this.failed('read', path, err) : undefined, bytes),
        ),
      );
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }

  async read(path: string, offset: number, length: number): Promise<Buffer> {
    const handle = await this.open(path);
    try {
      return await this.readAt(handle, path, offset, length);
    } finally {
      await this.closeHandle(handle);
    }
  }

  /** Runs a command; undefined when the host has no such command (exit 127). */
  exec(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.request('run', command, (done) =>
      this.client.exec(command, (err, stream) => {
        if (err) return done(this.failed('run', command, err));
        let stdout = '';
        let stderr = '';
        stream.on('data', (b: Buffer) => (stdout += b.toString()));
        stream.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        stream.on('close', (code: number | null) => done(undefined, { code: code ?? -1, stdout, stderr }));
      }),
    );
  }

  private failed(what: string, path: string, err: Error): EsxiError {
    if (this.lost)
      return new EsxiError(
        `${this.source.address}: the connection to ${this.source.host}:${this.source.port} was lost while ` +
          `${what === 'run' ? 'running' : 'reading'} ${path}`,
        'check that the host is up and SSH is enabled, then run h2k again: FETCH resumes where it stopped',
      );
    return new EsxiError(
      `${this.source.address}: cannot ${what} ${path} on ${this.source.host}: ${err.message}`,
      "check the datastore path and the user's permissions",
    );
  }

  close(): void {
    this.client.removeAllListeners('close');
    this.client.end();
  }
}
