// The typed configuration every later stage consumes.
import type { PolicySettings } from './config-schema.js';
import type { SourceConfig } from './source-types.js';

export type { SourceConfig };
import type { Range } from './source-file.js';
import type { Sensitive, Value } from './values.js';

export interface VariableConfig {
  type: string;
  value: Value;
  sensitive: boolean;
  description?: string;
}

export interface NicConfig {
  mac?: string;
  network?: string;
  /** Overrides policy `network` for the guest configuration bound to this NIC. */
  addressing?: 'preserve' | 'dhcp';
  model: 'virtio' | 'e1000' | 'e1000e' | 'rtl8139';
}

export interface VmConfig {
  /** vm.web or vm.web["key"] */
  address: string;
  source: string;
  /** Address of the policy, or null for the built-in defaults. */
  policyAddress: string | null;
  /** Defaults ⊕ extends chain ⊕ policy ⊕ overrides. */
  policy: PolicySettings;
  disks?: string[];
  path?: string;
  name?: string;
  uuid?: string;
  /** vsphere: a pattern that expands into one vm per match when the inventory is read. */
  discover?: { folder?: string; name?: string; guest_id?: string };
  /** Where the VM selector (path/name/uuid/discover) is written, for diagnostics about the inventory. */
  at?: Range;
  cpus?: number;
  memory?: number;
  firmware?: 'bios' | 'uefi';
  nics?: NicConfig[];
  /** LUKS passphrases by device (/dev/sda2), always sensitive. */
  luks_keys?: Record<string, Sensitive>;
}

/** Where state, lock, audit (and a fleet's job queue) live when not in local files. Not part of the
 *  configuration hash: hosts of one fleet may reach the same database by different addresses. */
export interface BackendConfig {
  type: 'pg';
  conn_str: Sensitive;
  schema_name: string;
}

export interface Config {
  /** Absolute directory the configuration was loaded from. */
  dir: string;
  files: string[];
  variables: Record<string, VariableConfig>;
  sources: Record<string, SourceConfig>;
  policies: Record<string, PolicySettings>;
  vms: VmConfig[];
  backend?: BackendConfig;
}
