// The govc wrapper: every call to vSphere's control plane goes through here. Credentials travel in
// the child's environment (GOVC_USERNAME / GOVC_PASSWORD), never in argv, and sessions are not
// persisted to disk (a cached session would also hide a wrong password).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { VsphereSourceConfig } from './config.js';
import { requireTool } from '../../tools/known-tools.js';
import { UserError } from '../../util/errors.js';

/** A failure the user can act on: one line and a hint. */
export class VsphereError extends UserError {
  declare readonly hint: string;
}

/** The endpoint as users wrote it, for error messages (the url never carries credentials). */
export function endpointOf(source: VsphereSourceConfig): string {
  return source.url.replace(/\/sdk\/?$/, '');
}

/** One line and a hint for what govc (or an HTTPS request) said went wrong. */
const UNREACHABLE = new RegExp(
  [
    'connection refused',
    'no such host',
    'i/o timeout',
    'network is unreachable',
    'ECONNREFUSED',
    'ECONNRESET',
    'EOF$',
    'socket hang up',
    'connection reset',
  ].join('|'),
  'im',
);

export function explainFailure(source: VsphereSourceConfig, raw: string): VsphereError {
  const at = endpointOf(source);
  const text = raw.replace(/^\S*govc: /gm, '').trim(); // govc prefixes its argv[0]
  const first = text.split('\n').find((l) => l.trim()) ?? 'no output';
  if (/Login failure|incorrect user name or password|InvalidLogin|status code: 401|401 Unauthorized/i.test(text))
    return new VsphereError(
      `${source.address}: login to ${at} failed: wrong user name or password`,
      'check username and the password variable (set it with -var or H2K_VAR_...)',
    );
  if (/x509|certificate|tls: |thumbprint/i.test(text))
    return new VsphereError(
      `${source.address}: TLS: the certificate of ${at} is not trusted (${first.replace(/^.*?(x509: |tls: )/, '$1')})`,
      'set ca_file to the vCenter CA, or thumbprint to its certificate thumbprint; insecure = true only for a lab',
    );
  if (UNREACHABLE.test(text))
    return new VsphereError(
      `${source.address}: cannot reach ${at}: ${first.replace(/^.*?: (dial tcp [^:]+:\d+: )?/, '')}`,
      'check the url and that vCenter/ESXi is up and reachable from here; run again when it is: nothing was changed',
    );
  const dc = /datacenter '([^']*)' not found/.exec(text);
  if (dc)
    return new VsphereError(
      `${source.address}: datacenter "${dc[1]}" not found at ${at}`,
      "check the source's datacenter; `govc ls /` lists the datacenters",
    );
  return new VsphereError(`${source.address}: ${at}: ${first}`, 'run with --debug for the full govc output');
}

/** Splits a stream of concatenated JSON values (objects or arrays) into the text of each. */
export class JsonSequence {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') {
        if (this.depth++ === 0) this.start = i;
      } else if ((c === '}' || c === ']') && --this.depth === 0) {
        out.push(this.buf.slice(this.start, i + 1));
        this.buf = this.buf.slice(i + 1);
        i = -1;
        this.start = -1;
      }
    }
    this.scanned = this.buf.length;
    if (this.depth === 0) {
      this.buf = this.buf.trimStart();
      this.scanned = this.buf.length;
    }
    return out;
  }

  /** Whether text of an unfinished value is left. */
  get pending(): boolean {
    return this.buf.trim() !== '';
  }
}

/** How long govc may take (a whole call; a streamed one: between two pieces of its answer). */
const GOVC_TIMEOUT_MS = 120_000;
const UNRESPONSIVE_HINT = 'check that vCenter/ESXi is responsive; run again: nothing was changed';

/** Runs govc against one source. Counts its processes so benchmarks can prove the count is constant. */
export class Govc {
  static processes = 0;
  private readonly bin: string;
  private readonly home: string;
  private readonly env: Record<string, string>;

  constructor(readonly source: VsphereSourceConfig) {
    this.bin = requireTool('govc');
    // A private home: no session cache, no known_hosts of the user's mixed in.
    this.home = mkdtempSync(join(tmpdir(), 'h2k-govc-'));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('GOVC_') && k !== 'GOVMOMI_HOME') env[k] = v;
    Object.assign(env, {
      GOVMOMI_HOME: this.home,
      GOVC_URL: source.url,
      GOVC_PERSIST_SESSION: 'false',
      GOVC_INSECURE: source.insecure ? 'true' : 'false',
    });
    if (source.username !== undefined) env.GOVC_USERNAME = source.username;
    if (source.password !== undefined) env.GOVC_PASSWORD = String(source.password.reveal());
    if (source.ca_file) env.GOVC_TLS_CA_CERTS = source.ca_file;
    if (source.thumbprint) {
      const known = join(this.home, 'known_hosts');
      writeFileSync(known, `${new URL(source.url).host} ${source.thumbprint.toUpperCase()}\n`);
      env.GOVC_TLS_KNOWN_HOSTS = known;
    }
    if (source.datacenter) env.GOVC_DATACENTER = source.datacenter;
    this.env = env;
  }

  /** stdout of `govc args...`; a failure becomes a VsphereError naming the endpoint. */
  async run(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    Govc.processes++;
    const r = await execa(this.bin, args, {
      env: this.env,
      extendEnv: false,
      reject: false,
      timeout: opts.timeoutMs ?? GOVC_TIMEOUT_MS,
      maxBuffer: 1 << 30,
      stdin: 'ignore',
    });
    if (r.exitCode !== 0 || r.failed) {
      if (r.timedOut)
        throw new VsphereError(
          `${this.source.address}: ${endpointOf(this.source)} did not answer govc ${args[0]} within ` +
            `${Math.round((opts.timeoutMs ?? GOVC_TIMEOUT_MS) / 1000)} s`,
          UNRESPONSIVE_HINT,
        );
      throw explainFailure(this.source, `${r.stderr}\n${r.stdout}`);
    }
    return r.stdout;
  }

  /** Runs `govc args...` whose stdout is a sequence of JSON values (object.collect -json prints one
   *  per object) and hands each to `each` as it arrives: a fleet's answer is never held whole. */
  async stream(args: string[], each: (value: unknown) => void): Promise<void> {
    Govc.processes++;
    const child = execa(this.bin, args, {
      env: this.env,
      extendEnv: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    const split = new JsonSequence();
    let bad = false;
    let failed: unknown; // an error of `each` is the caller's, not a sign of bad JSON
    // A fleet's answer may take long, but it keeps coming: two silent minutes mean a hung endpoint.
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        child.kill('SIGKILL');
      }, GOVC_TIMEOUT_MS);
    };
    quiet();
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      quiet();
      if (bad || failed) return;
      for (const text of split.push(chunk)) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          bad = true;
          return;
        }
        try {
          each(value);
        } catch (err) {
          failed = err;
          return;
        }
      }
    });
    const r = await child;
    clearTimeout(timer);
    if (failed) throw failed;
    if (silent)
      throw new VsphereError(
        `${this.source.address}: ${endpointOf(this.source)} stopped answering govc ${args[0]} for ` +
          `${GOVC_TIMEOUT_MS / 1000} s`,
        UNRESPONSIVE_HINT,
      );
    if (r.exitCode !== 0 || r.failed) {
      // With -json, govc 0.24 prints a failure as "{}" on stderr: ask again without -json for the
      // words (this path only runs when something is wrong already).
      if (!/[A-Za-z]/.test(stderr) && args.includes('-json')) await this.run(args.filter((a) => a !== '-json'));
      throw explainFailure(this.source, stderr);
    }
    if (bad || split.pending) throw this.notJson(args);
  }

  async json<T>(args: string[]): Promise<T> {
    const out = await this.run(args);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw this.notJson(args);
    }
  }

  private notJson(args: string[]): VsphereError {
    return new VsphereError(
      `${this.source.address}: govc ${args[0]} printed something that is not JSON`,
      `this govc (${this.bin}) may be too old or too new; run \`govc ${args[0]} -json\` by hand to see`,
    );
  }

  close(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
