// Checks of a user's own services, declared in a policy (`check "http" { … }`) and run by the boot
// test in the booted guest: from inside (the probe) and, for tcp and http, from outside through the
// boot's network too. Pure.

export const CHECK_KINDS = ['http', 'tcp', 'unit', 'command'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export type ServiceCheck =
  | { kind: 'http'; url: string; expect_status: number }
  | { kind: 'tcp'; port: number }
  | { kind: 'unit'; name: string }
  | { kind: 'command'; run: string };

/** A policy's service checks and the seconds they may take to pass once the guest is up. */
export interface ServiceChecks {
  list: ServiceCheck[];
  timeoutSec: number;
}

/** How a check is named in plans, verdicts and reports: `http http://localhost/health → 200`. */
export function checkLabel(c: ServiceCheck): string {
  switch (c.kind) {
    case 'http':
      return `http ${c.url} → ${c.expect_status}`;
    case 'tcp':
      return `tcp ${c.port}`;
    case 'unit':
      return `unit ${c.name}`;
    case 'command':
      return `command ${c.run}`;
  }
}

/** Where an http check's URL points: the port and path a request from outside must use. */
export function httpTarget(url: string): { port: number; path: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:') return undefined;
  return { port: Number(u.port || 80), path: `${u.pathname}${u.search}` };
}

/** One check's result: what the probe found inside the guest, what a connection from outside found. */
export interface ServiceCheckResult {
  check: string;
  passed: boolean;
  inside: { passed: boolean; detail: string };
  /** tcp and http, when the guest's address is reachable on the boot's network. */
  outside?: { passed: boolean; detail: string };
  /** Why a tcp or http check was not tried from outside (the guest's address is not on the boot network). */
  unreachable?: string;
}
