// FETCH for ESXi: the VM's chain files copied into <fetch>/disk<N>/, after checking the VM is the
// one planned, is not running, and its files are unchanged. Each file is read by `dd` on the host
// through OpenSSH's client (tools/openssh.ts: the control connection's verified host key pinned),
// downloads to .partial and resumes from the last whole MiB it holds; its size is verified and its
// sha256 taken as the bytes arrive.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { type DiskFacts, type SourceFingerprint, changedFiles } from '../../model/facts.js';
import type { EsxiSourceFacts } from '../../model/source-facts.js';
import type { OutputRecord } from '../../model/state.js';
import { configRelative, fileSha256 } from '../../util/files.js';
import { progressMeter } from '../../util/progress-meter.js';
import { type RemoteRun, SshFailure, runRemote } from '../../tools/openssh.js';
import { readVm } from './inventory.js';
import { EsxiError, type EsxiSession } from './ssh.js';
import { esxiDiskFacts } from './vm-facts.js';
import { shellQuote } from '../../util/shell.js';

export interface EsxiFetchInput {
  session: EsxiSession;
  planned: EsxiSourceFacts;
  vmx: string;
  disks: DiskFacts[];
  fingerprint: SourceFingerprint;
  dir: string;
  configDir: string;
  onStep: (m: string) => void;
  onProgress: (m: string) => void;
}

export const fetchedEntries = (dir: string, disks: DiskFacts[]) =>
  disks.map((d, i) => ({ path: join(dir, `disk${i}`, d.chain[0].file), format: 'vmdk' }));

async function hashFile(file: string): Promise<ReturnType<typeof createHash>> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h;
}

export async function fetchEsxiVm(
  input: EsxiFetchInput,
): Promise<{ outputs: OutputRecord[]; note: string; details: Record<string, unknown> }> {
  const { session, planned } = input;
  const vm = await readVm(session, input.vmx);
  if ((vm.facts.uuid ?? '') !== (planned.uuid ?? ''))
    throw new EsxiError(
      `${planned.path} is another VM than the one planned (uuid.bios ${vm.facts.uuid})`,
      'plan again',
    );
  if (vm.facts.powered_on)
    throw new EsxiError(
      `${planned.path} is running on ${session.source.host} (its .vmx.lck exists)`,
      'shut the guest down (vim-cmd vmsvc/power.shutdown on the host), then run h2k apply again',
    );
  const now = await esxiDiskFacts(session, vm);
  const changed = changedFiles(input.fingerprint.files, now.fingerprint.files);
  if (changed.length || now.fingerprint.descriptor_sha256 !== input.fingerprint.descriptor_sha256)
    throw new EsxiError(
      `${changed[0] ?? 'a disk descriptor'} changed since the plan was made`,
      'the VM ran or its disk was replaced; plan again',
    );
  const started = Date.now();
  let bytes = 0;
  let resumed = 0;
  const outputs: OutputRecord[] = [];
  for (const [i, chain] of now.chains.entries()) {
    for (const remote of chain.files) {
      const size = (await session.stat(remote))!.size;
      const dest = join(input.dir, `disk${i}`, posix.basename(remote));
      const shown = now.fingerprint.files.find((f) => f.file.endsWith(`/${posix.basename(remote)}`))?.file ?? remote;
      mkdirSync(join(dest, '..'), { recursive: true });
      if (existsSync(dest) && statSync(dest).size === size) {
        outputs.push({
          path: configRelative(dest, input.configDir),
          size,
          sha256: await fileSha256(dest),
        });
        continue;
      }
      const partial = `${dest}.partial`;
      // What an earlier FETCH left, back to its last whole block (where `dd` can start).
      const kept = existsSync(partial) ? Math.min(statSync(partial).size, size) : 0;
      const have = kept - (kept % BLOCK);
      if (kept) truncateSync(partial, have);
      const mib = (n: number) => (n / 2 ** 20).toFixed(0);
      input.onStep(`downloading ${shown} (${mib(size)} MiB${have ? `, resuming at ${mib(have)} MiB` : ''})`);
      const hash = have ? await hashFile(partial) : createHash('sha256');
      let done = have;
      const meter = progressMeter(size, 'bytes', { resumedAt: have });
      await copyRemote(session, remote, have, partial, (chunk) => {
        hash.update(chunk);
        done += chunk.length;
        input.onProgress(`${shown}: ${meter(done)}`);
      });
      const got = existsSync(partial) ? statSync(partial).size : 0;
      if (got !== size)
        throw new EsxiError(`downloaded ${got} of ${size} bytes of ${shown}`, 'run h2k apply again: it resumes');
      renameSync(partial, dest);
      bytes += size - have;
      resumed += have;
      outputs.push({ path: configRelative(dest, input.configDir), size, sha256: hash.digest('hex') });
    }
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    outputs,
    note:
      `${outputs.length} file(s), ${(bytes / 2 ** 20).toFixed(0)} MiB over SSH in ${seconds.toFixed(1)} s` +
      (resumed ? `, resumed after ${(resumed / 2 ** 20).toFixed(0)} MiB` : ''),
    details: { bytes, seconds: Number(seconds.toFixed(1)), resumed_from: resumed },
  };
}

const BLOCK = 2 ** 20;
const HASH_READ = 4 * 2 ** 20;

/** Appends the remote file from byte `from` (a whole block: a pipe cannot seek, so `dd` on the host
 *  skips whole blocks) to `partial`, which holds exactly the bytes before it, and reads back what
 *  arrives into `seen`, in order. ssh writes the file itself; Node reads it back from the page cache. */
async function copyRemote(
  session: EsxiSession,
  path: string,
  from: number,
  partial: string,
  seen: (chunk: Buffer) => void,
): Promise<void> {
  const src = session.source;
  // O_APPEND: ssh's writes land after the kept bytes whatever its descriptor's offset.
  const out = openSync(partial, from ? 'a' : 'w');
  let run: RemoteRun;
  try {
    run = await runRemote(
      {
        host: src.host,
        port: src.port,
        user: src.username,
        knownHosts: session.knownHosts,
        ...(src.password ? { password: String(src.password.reveal()) } : {}),
        ...(src.private_key_file ? { identity: src.private_key_file } : {}),
      },
      `dd if=${shellQuote(path)} bs=${BLOCK} skip=${from / BLOCK}`,
      out,
    );
  } finally {
    closeSync(out);
  }
  let exited = false;
  run.finished.then(
    () => (exited = true),
    () => (exited = true),
  );
  const file = await open(partial, 'r');
  try {
    const buf = Buffer.alloc(HASH_READ);
    for (let at = from; ;) {
      const ended = exited;
      const { bytesRead } = await file.read(buf, 0, buf.length, at);
      if (bytesRead) {
        seen(buf.subarray(0, bytesRead));
        at += bytesRead;
      } else if (ended) break;
      else await new Promise((r) => setTimeout(r, 20));
    }
    await run.finished;
  } catch (err) {
    run.stop();
    if (!(err instanceof SshFailure)) throw err;
    if (/no space left on device/i.test(err.stderr)) throw new Error(`${partial}: no space left on device`);
    throw sshFailed(session, path, err);
  } finally {
    await file.close();
  }
}

/** ssh's failure in the words of the session's own (ssh2) errors: the same causes, the same hints. */
function sshFailed(session: EsxiSession, path: string, err: SshFailure): EsxiError {
  const src = session.source;
  const where = `${src.host}:${src.port}`;
  switch (err.kind) {
    case 'host-key':
      return new EsxiError(
        `${src.address}: the host key of ${where} is no longer the one this session verified (${err.detail})`,
        'the host was reinstalled or another machine answers at its address; check its key and update host_key',
      );
    case 'login':
      return new EsxiError(
        `${src.address}: ${src.username}@${where} refused OpenSSH's login (${err.detail})`,
        'ESXi must allow SSH logins for that user by password or key, as it did for the plan',
      );
    case 'key-permissions':
      return new EsxiError(
        `${src.address}: OpenSSH refuses private_key_file ${src.private_key_file}: others may read it`,
        `chmod 600 ${src.private_key_file}`,
      );
    case 'connection':
      return new EsxiError(
        `${src.address}: the connection to ${where} was lost while reading ${path} (${err.detail})`,
        'check that the host is up and SSH is enabled, then run h2k again: FETCH resumes where it stopped',
      );
    case 'command':
      return new EsxiError(
        `${src.address}: cannot read ${path} on ${src.host}: ${err.stderr.match(/^dd: .*$/m)?.[0] ?? err.detail}`,
        "check the datastore path and the user's permissions",
      );
  }
}
