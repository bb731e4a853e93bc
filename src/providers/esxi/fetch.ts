// FETCH for ESXi: the VM's chain files copied over SFTP into <fetch>/disk<N>/, after checking the
// VM is the one planned, is not running, and its files are unchanged. Each file downloads to
// .partial and resumes from the byte where it stopped; its size is verified and its sha256 recorded.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { type DiskFacts, type SourceFingerprint, changedFiles } from '../../model/facts.js';
import type { EsxiSourceFacts } from '../../model/source-facts.js';
import type { OutputRecord } from '../../model/state.js';
import { configRelative, fileSha256 } from '../../util/files.js';
import { readVm } from './inventory.js';
import { EsxiError, type EsxiSession } from './ssh.js';
import { esxiDiskFacts } from './vm-facts.js';
import { progressMeter } from '../../util/progress-meter.js';

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
      const have = existsSync(partial) ? Math.min(statSync(partial).size, size) : 0;
      const mib = (n: number) => (n / 2 ** 20).toFixed(0);
      input.onStep(`downloading ${shown} (${mib(size)} MiB${have ? `, resuming at ${mib(have)} MiB` : ''})`);
      const hash = have ? await hashFile(partial) : createHash('sha256');
      let done = have;
      const meter = progressMeter(size, 'bytes', { resumedAt: have });
      const out = await open(partial, have ? 'a' : 'w');
      try {
        await session.copy(remote, have, size, async (chunk) => {
          hash.update(chunk);
          await out.write(chunk);
          done += chunk.length;
          input.onProgress(`${shown}: ${meter(done)}`);
        });
      } finally {
        await out.close();
      }
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
      `${outputs.length} file(s), ${(bytes / 2 ** 20).toFixed(0)} MiB over SFTP in ${seconds.toFixed(1)} s` +
      (resumed ? `, resumed after ${(resumed / 2 ** 20).toFixed(0)} MiB` : ''),
    details: { bytes, seconds: Number(seconds.toFixed(1)), resumed_from: resumed },
  };
}
