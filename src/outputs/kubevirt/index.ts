// The KubeVirt output: kubevirt/<vm>.yaml, for OpenShift Virtualization, Harvester and plain
// KubeVirt: one CDI DataVolume per disk, waiting for an upload of the converted image, and the
// VirtualMachine that boots from them, stopped (`running: false`) until the disks are in:
//   kubectl apply -f kubevirt/<vm>.yaml
//   virtctl image-upload dv <vm>-disk0 --no-create --image-path=<vm>.qcow2   (each disk)
//   virtctl start <vm>
// Typed against KubeVirt's and CDI's published API types, so the compiler checks the shape.
import type { V1beta1DataVolume } from '@kubevirt-ui-ext/kubevirt-api/containerized-data-importer';
import type { V1VirtualMachine } from '@kubevirt-ui-ext/kubevirt-api/kubevirt';
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import type { NicFacts } from '../../model/facts.js';
import type { KvmOutput, MachineSpec } from '../output.js';

/** Kubernetes names: lower case alphanumerics and '-', at most 63 characters. */
export function kubeName(slug: string): string {
  return (
    slug
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 57) || 'vm'
  );
}

const mebibytes = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi`;

export function dataVolumes(m: MachineSpec): V1beta1DataVolume[] {
  const name = kubeName(m.name);
  const bytes = m.diskBytes;
  if (bytes?.length !== m.disks.length) throw new Error(`internal error: ${m.name}: no virtual size for every disk`);
  return m.disks.map((_, i) => ({
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: `${name}-disk${i}`, labels: { 'app.kubernetes.io/managed-by': 'h2k' } },
    // `storage` (not `pvc`): CDI adds the filesystem overhead and picks the class's access mode.
    spec: { source: { upload: {} }, storage: { resources: { requests: { storage: mebibytes(bytes[i]) } } } },
  }));
}

const onPod = (m: MachineSpec, i: number) => i === 0 && !m.hw.nics[0].attach?.multus;

/** A Multus network as the policy names it ([namespace/]name, kept), else the source network's name made a
 *  Kubernetes name. */
const multusName = (n: NicFacts, fallback: string) => n.attach?.multus ?? kubeName(n.network ?? fallback);

export function virtualMachine(m: MachineSpec): V1VirtualMachine {
  const name = kubeName(m.name);
  const disks = m.disks.map((_, i) => `disk${i}`);
  const nics = m.hw.nics.map((_, i) => `nic${i}`);
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'h2k' } },
    spec: {
      running: false,
      template: {
        metadata: { labels: { 'kubevirt.io/domain': name } },
        spec: {
          domain: {
            cpu: { cores: m.hw.cpus },
            memory: { guest: `${m.hw.memory_mib}Mi` },
            // KubeVirt turns Secure Boot on for EFI unless told, and it needs SMM: on where the source had it.
            firmware: {
              bootloader: m.hw.firmware === 'uefi' ? { efi: { secureBoot: !!m.hw.secure_boot } } : { bios: {} },
            },
            // Windows: the Hyper-V enlightenments the libvirt output gives it. (Its RTC in local time has
            // no KubeVirt form without the source's time zone, which vSphere does not report.)
            ...(m.hints?.hyperv || m.hw.secure_boot
              ? {
                  features: {
                    ...(m.hints?.hyperv ? { hyperv: { relaxed: {}, vapic: {}, spinlocks: { spinlocks: 8191 } } } : {}),
                    ...(m.hw.secure_boot ? { smm: { enabled: true } } : {}),
                  },
                }
              : {}),
            devices: {
              disks: disks.map((d, i) => ({ name: d, disk: { bus: 'virtio' }, ...(i === 0 ? { bootOrder: 1 } : {}) })),
              // The first NIC on the pod network (masquerade: the only binding it takes) unless the policy
              // names its Multus network; the others bridged to the Multus network the policy names, else
              // to the one of their source network's name.
              interfaces: m.hw.nics.map((n, i) => ({
                name: nics[i],
                ...(onPod(m, i) ? { masquerade: {} } : { bridge: {} }),
                macAddress: n.mac,
                model: n.model,
              })),
              rng: {},
            },
          },
          networks: nics.map((n, i) =>
            onPod(m, i) ? { name: n, pod: {} } : { name: n, multus: { networkName: multusName(m.hw.nics[i], n) } },
          ),
          volumes: disks.map((d, i) => ({ name: d, dataVolume: { name: `${name}-disk${i}` } })),
        },
      },
    },
  };
}

export const kubevirt: KvmOutput = {
  files: (slug) => [`kubevirt/${slug}.yaml`],
  render: (m) => [[...dataVolumes(m), virtualMachine(m)].map((doc) => `---\n${stringify(doc)}`).join('')],
  /** The file reads back as YAML: a DataVolume per disk, then the VirtualMachine. */
  async check([file]) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    if (!Array.isArray(docs)) return `${file}: no YAML documents`;
    const broken = docs.find((d) => d.errors.length);
    if (broken) return `${file}: not YAML: ${broken.errors[0].message.split('\n')[0]}`;
    const kinds = docs.map((d) => (d.toJS() as { kind?: string }).kind).join(', ');
    return /^(DataVolume, )+VirtualMachine$/.test(kinds) ? undefined : `${file}: holds ${kinds}`;
  },
};
