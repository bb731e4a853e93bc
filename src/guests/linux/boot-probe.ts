// What a Linux guest needs for one boot test, written only into the throwaway overlay the test
// boots (the output is never touched): the kernel's console also on the serial port (real VMware
// guests have none there, so kernel and initramfs failures would be invisible), and a probe unit
// that runs once the default target is reached and reports, on the serial port, the evidence the
// verdict needs: target state, whether / is read-write, fstab entries not mounted (swap: not active),
// and the IPv4 addresses configured (then sends traffic to the default gateway, so the host sees it).
import { PROBE_TAG } from '../../model/boot-probe.js';
import type { LinuxGuestFacts } from '../../model/guest-facts.js';
import type { GuestfishSession } from '../../tools/guestfish.js';
import { BOOTLOADERS } from './bootloader/index.js';

const SCRIPT = `#!/bin/sh
# Written by h2k into a throwaway copy of this disk for one boot test; reports on the serial port.
exec >/dev/ttyS0 2>&1 || exit 0
target=$(systemctl get-default 2>/dev/null || echo multi-user.target)
i=0
while [ $i -lt 60 ] && [ "$(systemctl is-active "$target" 2>/dev/null)" = activating ]; do
  sleep 1
  i=$((i + 1))
done
echo "${PROBE_TAG} target $target $(systemctl is-active "$target" 2>/dev/null)"
echo "${PROBE_TAG} root $(awk '$2 == "/" { o = $4 } END { split(o, a, ","); print a[1] }' /proc/mounts)"
missing=""
while read -r spec mp type opts rest; do
  case "$spec" in ''|'#'*) continue ;; esac
  case ",$opts," in *,noauto,*|*,nofail,*) continue ;; esac
  if [ "$type" = swap ]; then
    dev=$spec
    case "$spec" in *=*) dev=$(findfs "$spec" 2>/dev/null || echo "$spec") ;; esac
    dev=$(readlink -f "$dev" 2>/dev/null || echo "$dev")
    awk -v d="$dev" 'NR > 1 && $1 == d { f = 1 } END { exit !f }' /proc/swaps || missing="$missing swap:$spec"
    continue
  fi
  [ "$type" = none ] && continue
  awk -v m="$mp" '$2 == m { f = 1 } END { exit !f }' /proc/mounts || missing="$missing $mp"
done < /etc/fstab
echo "${PROBE_TAG} fstab-missing$missing"
i=0
while [ $i -lt 90 ]; do
  addrs=$(ip -o -4 addr show scope global 2>/dev/null | awk '{ print $2, $4 }')
  [ -n "$addrs" ] && break
  sleep 1
  i=$((i + 1))
done
echo "$addrs" | while read -r dev cidr; do [ -n "$cidr" ] && echo "${PROBE_TAG} addr $dev $cidr"; done
gw=$(ip -4 route show default 2>/dev/null | awk '{ print $3; exit }')
# Traffic from the configured addresses, so the capture shows them in use: ping, or a TCP connection
# attempt (bash, as every distro has it) where ping is not installed. Either makes the guest ARP.
if [ -n "$gw" ]; then
  if command -v ping >/dev/null; then ping -c 2 -W 2 "$gw" >/dev/null 2>&1
  elif command -v bash >/dev/null; then timeout 4 bash -c ": </dev/tcp/$gw/9" >/dev/null 2>&1
  fi
fi
echo "${PROBE_TAG} end"
`;

const UNIT = `[Unit]
Description=h2k boot test probe (throwaway overlay only)
After=multi-user.target graphical.target network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/bin/sh /usr/local/sbin/h2k-boot-probe

[Install]
WantedBy=multi-user.target
`;

/** Prepares the mounted throwaway overlay (mounted by the caller at /, with /boot as the guest has it). */
export async function prepareLinuxBoot(g: GuestfishSession, guest: Pick<LinuxGuestFacts, 'bootloader'>): Promise<void> {
  const loader = BOOTLOADERS.find((b) => b.name === guest.bootloader.kind);
  const config = guest.bootloader.config;
  if (loader?.withSerialConsole && config) {
    const text = await g.readFile(config);
    if (text !== undefined) await g.writeFile(config, loader.withSerialConsole(text));
  }
  // The console on ttyS0 makes systemd start a serial getty there, whose vhangup() would cut the
  // probe's output off mid-report: no login prompt on this boot.
  await g.run('ln-sf', '/dev/null', '/etc/systemd/system/serial-getty@ttyS0.service');
  await g.run('mkdir-p', '/usr/local/sbin');
  await g.writeFile('/usr/local/sbin/h2k-boot-probe', SCRIPT);
  await g.writeFile('/etc/systemd/system/h2k-boot-probe.service', UNIT);
  await g.run('mkdir-p', '/etc/systemd/system/multi-user.target.wants');
  await g.run(
    'ln-sf',
    '/etc/systemd/system/h2k-boot-probe.service',
    '/etc/systemd/system/multi-user.target.wants/h2k-boot-probe.service',
  );
}
