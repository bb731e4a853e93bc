// Datastore files over HTTPS: `/folder/<path>?dcPath=&dsName=` on vCenter or ESXi, the same
// endpoint govc datastore.download uses. Range requests read a VMDK's header and descriptor
// without downloading the disk, and let an interrupted download resume at its last byte.
// Authentication is a Basic header built in memory; trust is the source's CA file, thumbprint
// (checked on every new TLS connection) or, for labs, insecure.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { Agent, type RequestOptions, request } from 'node:https';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect } from 'node:tls';
import type { VsphereSourceConfig } from './config.js';
import { fileSha256 } from '../../util/files.js';
import { VsphereError, endpointOf, explainFailure } from './govc.js';

export interface DatastoreFile {
  /** Datacenter path as the URL wants it (inventory path before /vm/). */
  dcPath: string;
  datastore: string;
  /** Path inside the datastore. */
  path: string;
}

export function datastoreUrl(source: VsphereSourceConfig, f: DatastoreFile): string {
  const origin = new URL(source.url).origin;
  const path = f.path.split('/').map(encodeURIComponent).join('/');
  return `${origin}/folder/${path}?dcPath=${encodeURIComponent(f.dcPath)}&dsName=${encodeURIComponent(f.datastore)}`;
}

/** The datacenter part of a VM's inventory path: "/DC0/vm/x" → "DC0", "/F/DC1/vm/a/b" → "F/DC1". */
export function dcPathOf(inventoryPath: string): string {
  const i = inventoryPath.indexOf('/vm/');
  return (i < 0 ? inventoryPath : inventoryPath.slice(0, i)).replace(/^\//, '');
}

const normHex = (s: string) => s.replace(/:/g, '').toUpperCase();

/** A TLS connection is handed to a request only once the server's certificate matches the pinned
 *  thumbprint, so not one byte (least of all the Authorization header) reaches another server. */
class PinnedAgent extends Agent {
  /** The certificate that matched, as PEM: nbdkit trusts exactly it (and checks the host name). */
  pem?: string;

  constructor(private readonly thumbprint: string) {
    super({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });
  }

  override createConnection(options: RequestOptions, done?: (err: Error | null, socket: Duplex) => void): undefined {
    const socket = connect({ ...(options as ConnectionOptions), rejectUnauthorized: false });
    socket.once('error', (err) => done!(err, socket));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const want = normHex(this.thumbprint);
      if (normHex(cert.fingerprint ?? '') !== want && normHex(cert.fingerprint256 ?? '') !== want) {
        socket.destroy();
        done!(new Error(`tls: thumbprint mismatch: the server presented ${cert.fingerprint}`), socket);
        return;
      }
      this.pem = `-----BEGIN CERTIFICATE-----\n${cert.raw
        .toString('base64')
        .match(/.{1,64}/g)!
        .join('\n')}\n-----END CERTIFICATE-----\n`;
      done!(null, socket);
    });
    return undefined;
  }
}

/** The datastore endpoint answered, with a status that is not the file. */
export class HttpStatusError extends VsphereError {
  constructor(
    readonly status: number,
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

export class DatastoreClient {
  private readonly agent: Agent | HttpAgent;
  private readonly auth?: string;
  private readonly https: boolean;

  constructor(readonly source: VsphereSourceConfig) {
    this.https = source.url.startsWith('https:');
    if (!this.https) this.agent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
    else if (source.thumbprint) this.agent = new PinnedAgent(source.thumbprint);
    else
      this.agent = new Agent({
        keepAlive: true,
        maxSockets: 8,
        rejectUnauthorized: !source.insecure,
        ...(source.ca_file ? { ca: readFileSync(source.ca_file) } : {}),
      });
    if (source.username !== undefined) {
      const password = source.password ? String(source.password.reveal()) : '';
      this.auth = `Basic ${Buffer.from(`${source.username}:${password}`).toString('base64')}`;
    }
  }

  /** With a pinned thumbprint: the server certificate that matched it (after a first request). */
  get pinnedCertificate(): string | undefined {
    return this.agent instanceof PinnedAgent ? this.agent.pem : undefined;
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request; the response body is the caller's to consume. Errors name the endpoint. */
  private send(method: 'GET' | 'HEAD', url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const fn = this.https ? request : httpRequest;
      const req = fn(url, {
        method,
        agent: this.agent,
        headers: { ...headers, ...(this.auth ? { authorization: this.auth } : {}) },
        timeout: 60_000,
      });
      req.on('timeout', () => req.destroy(new Error('i/o timeout after 60 s')));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(explainFailure(this.source, `${err.code ?? ''} ${err.message}`)),
      );
      req.on('response', resolve);
      req.end();
    });
  }

  private async failStatus(res: IncomingMessage, url: string): Promise<never> {
    res.resume();
    const file = decodeURIComponent(new URL(url).pathname.replace(/^\/folder\//, ''));
    const status = res.statusCode ?? 0;
    if (status === 401 || status === 403)
      throw new HttpStatusError(
        status,
        `${this.source.address}: ${endpointOf(this.source)} refused the credentials for datastore file ${file} ` +
          `(HTTP ${status})`,
        'check the password, and that this user may browse datastores (Datastore.Browse)',
      );
    if (status === 404)
      throw new HttpStatusError(
        status,
        `${this.source.address}: datastore file ${file} not found`,
        "the VM's disk moved or was deleted since the inventory was read; plan again",
      );
    throw new HttpStatusError(
      status,
      `${this.source.address}: GET ${file}: HTTP ${status} ${res.statusMessage ?? ''}`.trim(),
      'the datastore refused the request; try again, or check the VM in the vSphere client',
    );
  }

  async size(url: string): Promise<{ size: number; lastModified: string }> {
    const res = await this.send('HEAD', url);
    if (res.statusCode !== 200) return this.failStatus(res, url);
    res.resume();
    return {
      size: Number(res.headers['content-length'] ?? 0),
      lastModified: String(res.headers['last-modified'] ?? ''),
    };
  }

  /** Bytes [offset, offset+length) (fewer at the end of the file). */
  async read(url: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const res = await this.send('GET', url, { range: `bytes=${offset}-${offset + length - 1}` });
    if (res.statusCode === 416) {
      res.resume();
      return Buffer.alloc(0);
    }
    if (res.statusCode !== 206 && res.statusCode !== 200) return this.failStatus(res, url);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    // A server that ignores Range sends the whole file: take our slice of it.
    if (res.statusCode === 200) body = body.subarray(offset, offset + length);
    return body;
  }

  /**
   * Downloads url to dest, resuming from dest's `.partial` when one exists: a Range request asks
   * for the bytes after what is already on disk. Verifies the final size, returns the sha256.
   */
  async download(
    url: string,
    dest: string,
    opts: { size: number; onProgress?: (done: number) => void },
  ): Promise<{ sha256: string; resumedFrom: number }> {
    const partial = `${dest}.partial`;
    let have = existsSync(partial) ? statSync(partial).size : 0;
    if (have > opts.size) have = 0;
    const resumedFrom = have;
    if (have < opts.size) {
      const res = await this.send('GET', url, have > 0 ? { range: `bytes=${have}-` } : {});
      if (res.statusCode === 200)
        have = 0; // no Range support: start over
      else if (res.statusCode !== 206) await this.failStatus(res, url);
      const fd = openSync(partial, have === 0 ? 'w' : 'r+');
      let pos = have;
      try {
        let lastReport = 0;
        for await (const chunk of res) {
          const b = chunk as Buffer;
          writeSync(fd, b, 0, b.length, pos);
          pos += b.length;
          if (opts.onProgress && pos - lastReport >= 64 << 20) {
            lastReport = pos;
            opts.onProgress(pos);
          }
        }
        fsyncSync(fd);
        have = pos;
      } catch {
        throw new VsphereError(
          `${this.source.address}: lost the connection to ${endpointOf(this.source)} after ${pos} of ` +
            `${opts.size} bytes of ${dest.slice(dest.lastIndexOf('/') + 1)}`,
          'run h2k apply again once it is reachable: the download resumes from the byte where it stopped',
        );
      } finally {
        closeSync(fd);
      }
    }
    if (have !== opts.size)
      throw new VsphereError(
        `${this.source.address}: download of ${dest} stopped at ${have} of ${opts.size} bytes`,
        'run h2k apply again: it resumes from the byte where it stopped',
      );
    const sha256 = await fileSha256(partial);
    renameSync(partial, dest);
    return { sha256, resumedFrom };
  }
}
