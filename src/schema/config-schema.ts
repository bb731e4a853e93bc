// The JSON Schema of an evaluated configuration: one definition per block body. Validation,
// policy defaults and `h2k schema` all read this one object.
import { OUTPUT_NAMES, type OutputName } from '../model/outputs.js';
import type { SourceSchema } from './source-types.js';
import { CHECK_KINDS, type ServiceCheck } from '../model/service-check.js';
const NAME = '^[A-Za-z_][A-Za-z0-9_-]*$';

const policyProperties = {
  output_format: { enum: ['qcow2', 'raw'], default: 'qcow2', description: 'Format of the converted disk.' },
  output_dir: {
    type: 'string',
    minLength: 1,
    default: './output',
    description: "Where converted disks and the outputs' files go (relative to the configuration directory).",
  },
  outputs: {
    type: 'array',
    items: { enum: [...OUTPUT_NAMES] },
    uniqueItems: true,
    default: ['libvirt'],
    description:
      'What is written beside the disks: "libvirt" (a domain XML to virsh define), "kubevirt" (a VirtualMachine ' +
      'and its DataVolumes); [] for the disks only.',
  },
  compress: { type: 'boolean', default: false, description: 'Compress qcow2 output (slower to write, smaller).' },
  trim: { type: 'boolean', default: true, description: 'Discard unused guest blocks before conversion.' },
  fstab_mode: {
    enum: ['uuid', 'partuuid', 'label', 'keep'],
    default: 'uuid',
    description: 'How fragile device names in fstab/crypttab are rewritten.',
  },
  network: {
    enum: ['preserve', 'dhcp', 'keep'],
    default: 'preserve',
    description:
      "preserve: rebind the guest's network configuration to the KVM NICs, static stays static; " +
      'dhcp: the same, every interface by DHCP; keep: change nothing.',
  },
  remove_vmware_tools: {
    type: 'boolean',
    default: true,
    description: 'Disable or remove open-vm-tools / VMware Tools.',
  },
  initramfs_drivers: {
    type: 'array',
    items: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'a kernel module name' },
    default: ['virtio_blk', 'virtio_net', 'virtio_pci', 'virtio_scsi'],
    description: 'Kernel modules the rebuilt initramfs must contain.',
  },
  boot_test: {
    type: 'boolean',
    default: true,
    description: 'Boot the output on a throwaway overlay and check it comes up.',
  },
  boot_timeout: {
    type: 'integer',
    minimum: 10,
    maximum: 3600,
    default: 600,
    description: 'Seconds the boot test may take.',
  },
  check_timeout: {
    type: 'integer',
    minimum: 5,
    maximum: 3600,
    default: 60,
    description:
      "Seconds the policy's service checks may take to pass once the guest is up (retried every 2 s, as " +
      'services may still be starting); part of the boot timeout.',
  },
  firmware: { enum: ['auto', 'bios', 'uefi'], default: 'auto', description: 'auto: use what inspection finds.' },
  secure_boot: {
    enum: ['auto', 'on', 'off'],
    default: 'auto',
    description:
      "UEFI Secure Boot of the KVM guest (OVMF with Microsoft's keys enrolled): auto follows the source " +
      "(vSphere's efiSecureBootEnabled; off where a source cannot tell).",
  },
  networks: {
    type: 'object',
    default: {},
    additionalProperties: { $ref: '#/definitions/nic_attachment' },
    description:
      "Where NICs attach under KVM, by their source network's name (a vSphere port group, an OVA's network, " +
      'nics[].network of a vm block); "*" for every other NIC. Unmapped: the libvirt network of that name, or ' +
      '"default"; in KubeVirt the first NIC on the pod network, the others on the Multus network of that name.',
  },
  mac: {
    enum: ['preserve', 'regenerate'],
    default: 'preserve',
    description: 'MAC addresses of the KVM NICs, in every output.',
  },
  allow_power_off: {
    type: 'boolean',
    default: false,
    description: 'Let h2k shut down a running vSphere source (guest shutdown through govc) before fetching.',
  },
  power_off_timeout: {
    type: 'integer',
    minimum: 10,
    maximum: 3600,
    default: 300,
    description: 'Seconds a guest shutdown may take before FETCH gives up.',
  },
  virtio_win: {
    type: 'string',
    minLength: 1,
    description:
      'Windows guests: the virtio-win ISO or an unpacked copy of it (relative to the configuration directory); ' +
      'h2k never downloads it.',
  },
  acknowledge: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    default: [],
    description: 'Finding codes this policy accepts; an acknowledged Critical finding does not fail plan.',
  },
} as const;

/** The JSON Schema of a configuration whose sources are of these types (each driver gives its block's). */
/** The state backends a `backend "TYPE"` block may name; the local files are used without one. Each
 *  is implemented in src/state/<type>/ and its block is `backend_<type>` below. */
export const BACKEND_TYPES = ['pg'] as const;

export function configSchema(sourceTypes: SourceSchema[]) {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://h2k.dev/schema/config.json',
    title: 'h2k configuration (the evaluated form of *.h2k.hcl files)',
    type: 'object',
    additionalProperties: false,
    properties: {
      variable: {
        type: 'object',
        propertyNames: { pattern: NAME },
        additionalProperties: { $ref: '#/definitions/variable' },
      },
      locals: { type: 'object' },
      source: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(
          sourceTypes.map((t) => [
            t.type,
            {
              type: 'object',
              propertyNames: { pattern: NAME },
              additionalProperties: { $ref: `#/definitions/source_${t.type}` },
            },
          ]),
        ),
      },
      policy: {
        type: 'object',
        propertyNames: { pattern: NAME },
        additionalProperties: { $ref: '#/definitions/policy' },
      },
      vm: { type: 'object', additionalProperties: { $ref: '#/definitions/vm' } },
      backend: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(BACKEND_TYPES.map((t) => [t, { $ref: `#/definitions/backend_${t}` }])),
      },
    },
    definitions: {
      backend_pg: {
        type: 'object',
        additionalProperties: false,
        required: ['conn_str'],
        properties: {
          conn_str: {
            type: 'string',
            minLength: 1,
            description:
              'a postgres:// URL (postgres://USER@HOST:PORT/DB); with a password in it, it must be sensitive (a ' +
              'sensitive variable); PGPASSWORD and ~/.pgpass work too',
            pattern: '^postgres(ql)?://',
          },
          schema_name: {
            type: 'string',
            pattern: '^[a-z_][a-z0-9_]{0,62}$',
            default: 'h2k',
            description: 'the Postgres schema holding the state, lock, audit and job tables (created on first use)',
          },
        },
      },
      ...Object.fromEntries(sourceTypes.map((t) => [`source_${t.type}`, t.block])),
      variable: {
        type: 'object',
        additionalProperties: false,
        properties: {
          type: { type: 'string', description: 'string, number, bool, any, list(T), set(T), map(T), object({...})' },
          default: {},
          description: { type: 'string' },
          sensitive: { type: 'boolean', default: false },
        },
      },
      policy: {
        type: 'object',
        additionalProperties: false,
        properties: {
          extends: { type: 'string', description: 'a reference to another policy, like policy.base' },
          ...policyProperties,
          check: {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(
              CHECK_KINDS.map((k) => {
                const one = { $ref: `#/definitions/check_${k}` };
                return [k, { anyOf: [one, { type: 'array', items: one }] }];
              }),
            ),
            description:
              'check "KIND" { … } blocks: what the boot test checks in the booted guest, besides its own checks; ' +
              "a policy's own check blocks replace those of the policy it extends",
          },
        },
      },
      policy_overrides: { type: 'object', additionalProperties: false, properties: policyProperties },
      ...checkDefinitions,
      nic_attachment: nicAttachment,
      vm: {
        type: 'object',
        additionalProperties: false,
        required: ['source'],
        properties: {
          source: { type: 'string', description: 'a reference to a source block, like source.local.lab' },
          policy: { type: 'string', description: 'a reference to a policy block, like policy.linux' },
          disks: {
            type: 'array',
            minItems: 1,
            items: { type: 'string', minLength: 1 },
            description: 'local: disk files, boot disk first',
          },
          path: { type: 'string', minLength: 1, description: 'vsphere: inventory path of the VM' },
          name: { type: 'string', minLength: 1, description: 'vsphere: VM name' },
          discover: {
            type: 'object',
            additionalProperties: false,
            properties: {
              folder: {
                type: 'string',
                minLength: 1,
                description:
                  'inventory folder to search, like /DC0/vm/prod (default: the whole datacenter), subfolders included',
              },
              name: {
                type: 'string',
                minLength: 1,
                description: 'glob on the VM name, like web-* (* and ? wildcards)',
              },
              guest_id: { type: 'string', minLength: 1, description: 'glob on the vSphere guestId, like debian*' },
            },
            description: 'vsphere: plan every VM matching these; each becomes vm.NAME["<vm name>"]',
          },
          uuid: {
            type: 'string',
            pattern: '^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$',
            description: 'a BIOS or instance UUID',
          },
          cpus: { type: 'integer', minimum: 1, maximum: 512 },
          memory: { type: 'integer', minimum: 64, description: 'MiB' },
          firmware: { enum: ['bios', 'uefi'] },
          nics: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                mac: {
                  type: 'string',
                  pattern: '^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$',
                  description: 'a MAC address like 00:50:56:aa:bb:cc',
                },
                network: { type: 'string' },
                model: { enum: ['virtio', 'e1000', 'e1000e', 'rtl8139'], default: 'virtio' },
                addressing: {
                  enum: ['preserve', 'dhcp'],
                  description:
                    "this NIC's guest configuration: keep its addressing, or DHCP (overrides policy network)",
                },
              },
            },
          },
          luks_keys: {
            type: 'object',
            additionalProperties: { type: 'string', minLength: 1 },
            description:
              'passphrases of LUKS volumes, by device as the plan names them ("/dev/sda2" = var.x): sensitive ' +
              'variables only; plan opens them read-only to inspect the guest, FIX read-write, the boot test ' +
              "types them at the guest's prompt",
          },
          overrides: { $ref: '#/definitions/policy_overrides' },
        },
      },
    },
  } as const;
}

/** The body of each kind of check block. */
const checkDefinitions = {
  check_http: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: {
        type: 'string',
        pattern: '^http://',
        description: "an http:// URL (requested inside the guest as written, and from outside at the guest's address)",
      },
      expect_status: { type: 'integer', minimum: 100, maximum: 599, default: 200, description: 'the HTTP status' },
    },
    description: 'an HTTP service answers with the expected status',
  },
  check_tcp: {
    type: 'object',
    additionalProperties: false,
    required: ['port'],
    properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
    description: 'something listens on this TCP port after boot (seen inside; connected to from outside)',
  },
  check_unit: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', pattern: '^[A-Za-z0-9:_.@\\\\-]+$', description: 'like nginx.service' } },
    description: 'a systemd unit is active after boot',
  },
  check_command: {
    type: 'object',
    additionalProperties: false,
    required: ['run'],
    properties: { run: { type: 'string', minLength: 1, description: 'a /bin/sh command line; exit 0 passes' } },
    description: 'a command run as root in the booted guest exits 0',
  },
} as const;

/** Where one source network's NICs attach: at most one libvirt backend, and a Multus network for KubeVirt. */
const nicAttachment = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    network: { type: 'string', minLength: 1, description: 'a libvirt network' },
    bridge: { type: 'string', minLength: 1, description: 'a host bridge (libvirt <interface type="bridge">)' },
    macvtap: {
      type: 'string',
      minLength: 1,
      description: 'a host NIC shared through macvtap (libvirt <interface type="direct">, mode bridge)',
    },
    multus: {
      type: 'string',
      minLength: 1,
      description: 'KubeVirt: a Multus NetworkAttachmentDefinition, [namespace/]name',
    },
  },
  not: {
    anyOf: [
      { required: ['network', 'bridge'] },
      { required: ['network', 'macvtap'] },
      { required: ['bridge', 'macvtap'] },
    ],
  },
  description: 'may name one of network, bridge and macvtap',
} as const;

export interface NicAttachment {
  network?: string;
  bridge?: string;
  macvtap?: string;
  multus?: string;
}

export type PolicySettings = {
  output_format: 'qcow2' | 'raw';
  output_dir: string;
  outputs: OutputName[];
  compress: boolean;
  trim: boolean;
  fstab_mode: 'uuid' | 'partuuid' | 'label' | 'keep';
  network: 'preserve' | 'dhcp' | 'keep';
  remove_vmware_tools: boolean;
  initramfs_drivers: string[];
  boot_test: boolean;
  boot_timeout: number;
  check_timeout: number;
  firmware: 'auto' | 'bios' | 'uefi';
  secure_boot: 'auto' | 'on' | 'off';
  networks: Record<string, NicAttachment>;
  mac: 'preserve' | 'regenerate';
  allow_power_off: boolean;
  power_off_timeout: number;
  virtio_win?: string;
  acknowledge: string[];
  /** check blocks (not a policy argument: written as blocks). */
  checks: ServiceCheck[];
};

export function policyDefaults(): PolicySettings {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(policyProperties)) if ('default' in v) out[k] = structuredClone(v.default);
  return { ...out, checks: [] } as unknown as PolicySettings;
}
