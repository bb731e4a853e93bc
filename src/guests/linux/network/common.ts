// What the network modules share: the reason their rebinding edits give, and their findings.
import type { RawFinding } from '../../../model/plan.js';
import type { NicBinding } from '../../../model/guest-network.js';
import type { PolicySettings } from '../../../schema/config-schema.js';

/** Whether the configuration bound to `nic` becomes DHCP: the NIC's own `addressing`, else the policy. */
export const wantsDhcp = (policy: PolicySettings, nic: NicBinding | undefined): boolean =>
  (nic?.addressing ?? policy.network) === 'dhcp';

/** Why a configuration file is rewritten: rebound to the KVM NIC, its addressing kept or DHCP. */
export function rebindReason(dhcp: boolean, what: string): string {
  return dhcp
    ? `bind ${what} to the KVM NIC's MAC, addressed by DHCP (policy network = "dhcp")`
    : `bind ${what} to the KVM NIC's MAC instead of the VMware NIC's, keeping its addressing`;
}

// A configuration that sets the NIC's own MAC (ifupdown's hwaddress, netplan's macaddress,
// NetworkManager's cloned-mac-address, networkd's [Link] MACAddress=) makes the KVM guest claim the
// VMware VM's address: kept when the policy preserves MACs, removed when it regenerates them, and a
// finding either way, since two machines with one MAC on a shared L2 is an outage.

export function macPinFinding(path: string, mac: string, how: string, removed: boolean): RawFinding {
  return removed
    ? {
        code: 'guest-mac-pin-removed',
        severity: 'info',
        message: `${path} set the NIC's MAC to ${mac.toLowerCase()} (${how}); removed, so the guest uses its KVM MAC`,
      }
    : {
        code: 'guest-mac-pinned',
        severity: 'warning',
        message:
          `${path} sets the NIC's MAC to ${mac.toLowerCase()} (${how}), kept because the policy preserves MACs: ` +
          'if the VMware VM runs again on the same network, two machines share one MAC',
      };
}

/** A finding for a configuration bound to a MAC that no KVM NIC can take over. */
export function unboundFinding(path: string, mac: string): RawFinding {
  return {
    code: 'network-unbound',
    severity: 'warning',
    message: `${path} binds to ${mac.toLowerCase()}, and no KVM NIC is left to take it over: it stays unused`,
  };
}
