// What a Linux guest needs for one boot test, written only into the throwaway overlay the test
// boots (the output is never touched): the kernel's console also on the serial port (real VMware
// guests have none there, so kernel and initramfs failures would be invisible), and a probe unit
// that runs once the default target is reached and reports, on the serial port, the evidence the
// verdict needs: target state, whether / is read-write, fstab entries not mounted (swap: not active),
// and the IPv4 addresses configured (then sends traffic to the default gateway, so the host sees it);
// last, the policy's service checks, retried together for up to the policy's check_timeout since
// services may come up after the default target does.
import { PROBE_TAG } from '../../model/boot-probe.js';
import { type ServiceCheck, type ServiceChecks, httpTarget } from '../../model/service-check.js';
import type { LinuxGuestFacts } from '../../model/guest-facts.js';
import type { GuestfishSession } from '../../tools/guestfish.js';
import { BOOTLOADERS } from './bootloader/index.js';
import { shellQuote } from '../../util/shell.js';

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
@CHECKS@
echo "${PROBE_TAG} end"
`;

/** One check as a shell function that returns its verdict and leaves what it found in $d. */
function checkFunction(c: ServiceCheck, i: number): string {
  const body = (() => {
    switch (c.kind) {
      case 'unit':
        return `d=$(systemctl is-active ${shellQuote(c.name)} 2>/dev/null); [ "$d" = active ]`;
      case 'tcp': {
        const port = c.port.toString(16).toUpperCase().padStart(4, '0');
        // /proc/net/tcp{,6}: local address as HEXIP:HEXPORT, state 0A is LISTEN.
        return (
          `d="nothing listens"; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | ` +
          `awk '{ split($2, a, ":"); if (a[2] == "${port}" && $4 == "0A") f = 1 } END { exit !f }' && d=listening`
        );
      }
      case 'http': {
        const t = httpTarget(c.url)!;
        const host = new URL(c.url).hostname.replace(/^\[|\]$/g, '');
        // bash's /dev/tcp, as every distro has bash and not every one has curl or wget.
        const request =
          'exec 3<>"/dev/tcp/$1/$2" || exit 1; printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" "$3" "$1" >&3; ' +
          'IFS= read -r l <&3; printf %s "$l"';
        return (
          `d=$(timeout 10 bash -c ${shellQuote(request)} _ ${shellQuote(host)} ${t.port} ` +
          `${shellQuote(t.path || '/')} 2>/dev/null | ` +
          `tr -d '\\r'); ` +
          `[ -n "$d" ] || d="no answer on port ${t.port}"; [ "$(echo "$d" | awk '{ print $2 }')" = ${c.expect_status} ]`
        );
      }
      case 'command':
        return (
          `d=$(timeout 20 sh -c ${shellQuote(c.run)} 2>&1); r=$?; ` +
          `d="exit $r: $(echo "$d" | tail -n 1)"; [ $r -eq 0 ]`
        );
    }
  })();
  return `check_${i}() { ${body}; }`;
}

/** The probe's section for the policy's service checks: all retried until they pass or time runs out. */
export function checksSection(checks: ServiceCheck[], waitSec: number): string {
  if (!checks.length) return '';
  const each = (f: (i: number) => string) => checks.map((_, i) => f(i)).join('\n');
  return [
    ...checks.map(checkFunction),
    `deadline=$(($(date +%s) + ${waitSec}))`,
    'while :; do',
    '  all=1',
    each(
      (i) =>
        `  if check_${i}; then r${i}=ok; else r${i}=fail; all=0; fi; ` +
        `d${i}=$(printf %s "$d" | tr '\\n' ' ' | cut -c1-160)`,
    ),
    '  [ $all = 1 ] || [ "$(date +%s)" -ge $deadline ] && break',
    '  sleep 2',
    'done',
    each((i) => `echo "${PROBE_TAG} check ${i} $r${i} $d${i}"`),
    '',
  ].join('\n');
}

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
export async function prepareLinuxBoot(
  g: GuestfishSession,
  guest: Pick<LinuxGuestFacts, 'bootloader'>,
  checks?: ServiceChecks,
): Promise<void> {
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
  await g.writeFile(
    '/usr/local/sbin/h2k-boot-probe',
    SCRIPT.replace('@CHECKS@\n', checks ? checksSection(checks.list, checks.timeoutSec) : ''),
  );
  await g.writeFile('/etc/systemd/system/h2k-boot-probe.service', UNIT);
  await g.run('mkdir-p', '/etc/systemd/system/multi-user.target.wants');
  await g.run(
    'ln-sf',
    '/etc/systemd/system/h2k-boot-probe.service',
    '/etc/systemd/system/multi-user.target.wants/h2k-boot-probe.service',
  );
}
