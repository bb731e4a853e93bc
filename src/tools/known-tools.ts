// Every external program h2k runs, with the Debian package that brings it and what h2k uses it for:
// `requireTool` turns a missing one into one line and a hint wherever it is looked up, and
// `h2k doctor` lists them all from here.
import { UserError } from '../util/errors.js';
import { findTool } from './locate.js';

export interface KnownTool {
  name: string;
  /** The Debian package, or how h2k gets it. */
  pkg: string;
  purpose: string;
  /** Without it plan or apply of an ordinary Linux VM cannot run. */
  required: boolean;
  /** How it prints its version ([] when it cannot). */
  versionArgs: string[];
}

const tool = (name: string, pkg: string, purpose: string, required = false, versionArgs = ['--version']) => ({
  name,
  pkg,
  purpose,
  required,
  versionArgs,
});

export const KNOWN_TOOLS: KnownTool[] = [
  tool('qemu-img', 'qemu-utils', 'overlays, conversion, checks', true),
  tool('qemu-system-x86_64', 'qemu-system-x86', 'the boot test', true),
  tool('guestfish', 'libguestfs-tools', 'guest inspection and fixes', true),
  tool('virt-inspector', 'guestfs-tools', 'cross-checking inspection'),
  tool('nbdkit', 'nbdkit', 'remote disk reads over HTTPS (curl plugin)', true),
  tool('nbdfuse', 'libnbd-bin', 'remote VMDK chains as local files for qemu', true),
  tool('fusermount3', 'fuse3', 'unmounting remote disks even when h2k is killed', true),
  tool('ssh', 'openssh-client', 'copying disks from ESXi hosts (FETCH)', false, ['-V']),
  tool('virsh', 'libvirt-clients', 'booting the shipped libvirt domain in the boot test'),
  tool('virt-xml-validate', 'libvirt-clients', 'validating the libvirt domain h2k writes'),
  tool('govc', 'npm run setup (builds it)', 'the vSphere control plane', true, ['version']),
  tool('vcsim', 'npm run setup (builds it)', 'a local vSphere simulator for tests and the demo', false, []),
  tool('hivexregedit', 'libwin-hivex-perl', 'editing Windows registry hives'),
  tool('xorriso', 'xorriso', 'reading a virtio-win ISO (or give an unpacked copy)', false, ['-version']),
  // The initramfs decompressors: what the guest's initramfs is compressed with decides which one runs.
  tool('gzip', 'gzip', 'reading gzip-compressed initramfs images'),
  tool('zstd', 'zstd', 'reading zstd-compressed initramfs images'),
  tool('xz', 'xz-utils', 'reading xz- and lzma-compressed initramfs images'),
  tool('lz4', 'lz4', 'reading lz4-compressed initramfs images'),
  tool('bzip2', 'bzip2', 'reading bzip2-compressed initramfs images'),
];

/** The path of a program h2k needs now; its absence is the user's to fix, said in one line. */
export function requireTool(name: string): string {
  const found = findTool(name);
  if (found) return found;
  const known = KNOWN_TOOLS.find((t) => t.name === name);
  if (!known) throw new Error(`internal: ${name} is not in KNOWN_TOOLS`);
  const how = known.pkg.startsWith('npm ') ? `run \`${known.pkg.replace(/ \(.*\)$/, '')}\`` : `install ${known.pkg}`;
  throw new UserError(
    `${name} is not installed (h2k uses it for ${known.purpose})`,
    `${how}; \`npm run setup\` installs everything h2k uses, \`h2k doctor\` checks it`,
  );
}
