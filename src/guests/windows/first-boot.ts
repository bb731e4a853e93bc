// The work that only Windows itself can do, staged offline and run once at the first boot on KVM.
// It runs as a machine startup script of the local Group Policy: Windows starts it as SYSTEM before
// anyone logs on, and it needs no binary h2k cannot ship (virt-v2v uses rhsrvany, a service
// wrapper Debian does not have). PURE: the texts FIX writes, shown whole in the plan.

export interface StaticNic {
  /** The KVM NIC's MAC, as Windows prints it (AA-BB-...). */
  mac: string;
  /** The adapter it replaces, for the log. */
  was: string;
  addresses: { ip: string; mask: string }[];
  gateways: string[];
  dns: string[];
}

export interface FirstBootWork {
  /** C:\Windows (the guest's %SystemRoot% as a Windows path). */
  systemRoot: string;
  /** Driver packages to install, as Windows paths of their .inf files. */
  infs: string[];
  staticNics: StaticNic[];
  /** NICs (by KVM MAC) to switch to DHCP (policy network = "dhcp"). */
  dhcpNics: { mac: string; was: string }[];
  /** VMware Tools' MSI product code, to uninstall it. */
  vmwareTools?: { productCode: string; name: string };
  /** Startup-script registrations to remove once done: registry keys under HKLM\SOFTWARE, and the
   *  Group Policy files to restore (text) or delete (undefined: h2k created them). */
  cleanup: { keys: string[]; files: { path: string; restore?: string }[] };
}

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';
const psString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const psArray = (xs: string[]) => `@(${xs.map(psString).join(', ')})`;

/** The .cmd Group Policy starts (it runs scripts, not PowerShell files, on every version). */
export function firstBootCmd(systemRoot: string): string {
  const dir = `${systemRoot}\\h2k`;
  return crlf([
    '@echo off',
    'rem Written by h2k: runs once, at the first boot on KVM, as SYSTEM (a startup script of the local Group Policy).',
    `if exist "${dir}\\firstboot.done" exit /b 0`,
    `"${systemRoot}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -NonInteractive ` +
      `-ExecutionPolicy Bypass -File "${dir}\\firstboot.ps1" >> "${dir}\\firstboot.log" 2>&1`,
  ]);
}

/** The PowerShell that does the work. Written for PowerShell 2.0 (Windows Server 2008 R2): WMI,
 *  pnputil and msiexec, no cmdlets that came later. Every step is logged and a failed step does not
 *  stop the others; the script unregisters itself at the end and leaves firstboot.done. */
export function firstBootPs1(w: FirstBootWork): string {
  const dir = `${w.systemRoot}\\h2k`;
  const out = [
    '# Written by h2k: the first boot on KVM. Its log is firstboot.log beside it.',
    "$ErrorActionPreference = 'Continue'",
    'function Step($what, $block) {',
    '  Write-Output ("{0:u} {1}" -f (Get-Date), $what)',
    '  try { & $block } catch { Write-Output ("  failed: {0}" -f $_) }',
    '}',
    'function NicByMac($mac) {',
    "  $want = $mac.Replace('-', ':')",
    '  for ($i = 0; $i -lt 60; $i++) {',
    '    $nic = Get-WmiObject Win32_NetworkAdapterConfiguration | Where-Object { $_.MACAddress -eq $want }',
    '    if ($nic) { return $nic }',
    '    Start-Sleep -Seconds 5',
    '  }',
    '  throw "no adapter with MAC $mac appeared in 5 minutes"',
    '}',
    '',
  ];
  for (const inf of w.infs)
    out.push(`Step ${psString(`install driver ${inf}`)} { & pnputil.exe -i -a ${psString(inf)} | Write-Output }`);
  for (const n of w.staticNics) {
    const ips = n.addresses.map((a) => a.ip);
    const masks = n.addresses.map((a) => a.mask);
    out.push(
      `Step ${psString(`static address ${ips.join(', ')} on ${n.mac} (was ${n.was})`)} {`,
      `  $nic = NicByMac ${psString(n.mac)}`,
      `  $r = $nic.EnableStatic(${psArray(ips)}, ${psArray(masks)}); Write-Output "  EnableStatic: $($r.ReturnValue)"`,
      ...(n.gateways.length
        ? [`  $r = $nic.SetGateways(${psArray(n.gateways)}); Write-Output "  SetGateways: $($r.ReturnValue)"`]
        : []),
      ...(n.dns.length
        ? [
            `  $r = $nic.SetDNSServerSearchOrder(${psArray(n.dns)})`,
            '  Write-Output "  SetDNSServerSearchOrder: $($r.ReturnValue)"',
          ]
        : []),
      '}',
    );
  }
  for (const n of w.dhcpNics)
    out.push(
      `Step ${psString(`DHCP on ${n.mac} (was ${n.was})`)} {`,
      `  $nic = NicByMac ${psString(n.mac)}`,
      '  $r = $nic.EnableDHCP(); Write-Output "  EnableDHCP: $($r.ReturnValue)"',
      '  $r = $nic.SetDNSServerSearchOrder(); Write-Output "  SetDNSServerSearchOrder: $($r.ReturnValue)"',
      '}',
    );
  out.push(
    `Step 'data disks online (SAN policy OnlineAll)' {`,
    "  'san policy=OnlineAll' | diskpart.exe | Write-Output",
    '  if (Get-Command Get-Disk -ErrorAction SilentlyContinue) {',
    '    Get-Disk | Where-Object { $_.IsOffline } | Set-Disk -IsOffline $false',
    '  }',
    '}',
  );
  if (w.vmwareTools)
    out.push(
      `Step ${psString(`uninstall ${w.vmwareTools.name} ${w.vmwareTools.productCode}`)} {`,
      `  $msi = @('/x', ${psString(w.vmwareTools.productCode)}, '/qn', '/norestart', 'REBOOT=ReallySuppress')`,
      '  $p = Start-Process msiexec.exe -ArgumentList $msi -Wait -PassThru',
      '  Write-Output "  msiexec exit code: $($p.ExitCode)"',
      '}',
    );
  out.push(`Step 'unregister this startup script' {`);
  for (const k of w.cleanup.keys) out.push(`  Remove-Item -Recurse -Force -Path ${psString(`HKLM:\\SOFTWARE\\${k}`)}`);
  for (const f of w.cleanup.files)
    out.push(
      f.restore === undefined
        ? `  Remove-Item -Force -Path ${psString(f.path)}`
        : `  Set-Content -Encoding Ascii -Path ${psString(f.path)} -Value ${psHereString(f.restore)}`,
    );
  out.push('}', `Set-Content -Path ${psString(`${dir}\\firstboot.done`)} -Value (Get-Date)`, 'Write-Output "done"');
  return crlf(out);
}

function psHereString(text: string): string {
  return `@'\r\n${text.replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n')}\r\n'@`;
}

/** gpt.ini of the local Group Policy with the Scripts extension on and the machine version moved
 *  on, so Windows processes it at the next boot. `before`: the file as it is, if there is one. */
export function gptIni(before: string | undefined): string {
  const EXT = '[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}]';
  const lines = (before ?? '[General]\r\n').split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  const find = (key: string) => lines.findIndex((l) => l.toLowerCase().startsWith(`${key.toLowerCase()}=`));
  const general = lines.findIndex((l) => l.trim().toLowerCase() === '[general]');
  if (general < 0) lines.unshift('[General]');
  const v = find('Version');
  const version = v >= 0 ? Number(lines[v].split('=')[1]) || 0 : 0;
  // The low word counts machine changes, the high word user changes.
  const next = `Version=${(version & 0xffff0000) + (((version & 0xffff) + 1) & 0xffff)}`;
  if (v >= 0) lines[v] = next;
  else lines.push(next);
  const e = find('gPCMachineExtensionNames');
  if (e < 0) lines.push(`gPCMachineExtensionNames=${EXT}`);
  else if (!lines[e].toUpperCase().includes('{42B5FAAE-6536-11D2-AE5A-0000F87571E3}'))
    lines[e] = `${lines[e].trimEnd()}${EXT}`;
  return crlf(lines);
}

/** scripts.ini with one more [Startup] entry; index: the first free one. */
export function scriptsIni(before: string | undefined, index: number, cmdLine: string): string {
  const lines = (before ?? '').split(/\r?\n/).filter((l) => l !== '');
  let start = lines.findIndex((l) => l.trim().toLowerCase() === '[startup]');
  if (start < 0) {
    lines.push('[Startup]');
    start = lines.length - 1;
  }
  let end = start + 1;
  while (end < lines.length && !lines[end].startsWith('[')) end++;
  lines.splice(end, 0, `${index}CmdLine=${cmdLine}`, `${index}Parameters=`);
  return crlf(lines);
}

/** The first [Startup] index scripts.ini does not use. */
export function nextScriptIndex(before: string | undefined): number {
  const used = [...(before ?? '').matchAll(/^(\d+)CmdLine=/gim)].map((m) => Number(m[1]));
  return used.length ? Math.max(...used) + 1 : 0;
}
