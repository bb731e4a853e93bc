// The probe's service checks are shell run inside the guest: here the very section the probe gets
// runs under this host's sh against a real server (what a guest's services would be), and its
// serial lines go through the same parsing and judging the boot test uses.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { judgeServices } from '../../../src/executors/boot-test.js';
import { checksSection } from '../../../src/guests/linux/boot-probe.js';
import { parseProbe } from '../../../src/model/boot-probe.js';
import type { ServiceCheck } from '../../../src/model/service-check.js';
import { freePort } from '../../helpers.js';

describe('service checks in the boot probe (real sh, real server)', () => {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 404;
    res.end('ok\n');
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  // Asynchronously: the server answers from this process.
  const run = async (checks: ServiceCheck[], waitSec: number) => {
    const started = Date.now();
    const { stdout: out } = await promisify(execFile)('sh', ['-c', checksSection(checks, waitSec)]);
    return { probe: parseProbe(`${out}H2K-PROBE end\n`), seconds: (Date.now() - started) / 1000 };
  };

  it('passes what answers, at once', async () => {
    const { probe, seconds } = await run(
      [
        { kind: 'http', url: `http://localhost:${port}/health`, expect_status: 200 },
        { kind: 'tcp', port },
        { kind: 'command', run: `[ "$(printf %s "it's quoted")" = "it's quoted" ]` },
      ],
      30,
    );
    assert.deepEqual(
      probe.checks.map((c) => [c.index, c.ok]),
      [
        [0, true],
        [1, true],
        [2, true],
      ],
    );
    assert.match(probe.checks[0].detail, /^HTTP\/1\.1 200 OK$/);
    assert.equal(probe.checks[1].detail, 'listening');
    assert.equal(probe.checks[2].detail, 'exit 0:');
    assert.ok(seconds < 15, `no waiting when all pass (${seconds} s)`);
  });

  it('fails what does not, with what it found, after retrying until the wait is over', async () => {
    const closed = await freePort();
    const { probe, seconds } = await run(
      [
        { kind: 'http', url: `http://localhost:${port}/missing`, expect_status: 200 },
        { kind: 'http', url: `http://localhost:${closed}/`, expect_status: 200 },
        { kind: 'tcp', port: closed },
        { kind: 'command', run: 'echo no ready file; exit 3' },
        { kind: 'tcp', port },
      ],
      3,
    );
    assert.deepEqual(
      probe.checks.map((c) => [c.ok, c.detail]),
      [
        [false, 'HTTP/1.1 404 Not Found'],
        [false, `no answer on port ${closed}`],
        [false, 'nothing listens'],
        [false, 'exit 3: no ready file'],
        [true, 'listening'],
      ],
    );
    assert.ok(seconds >= 2, `retried until the wait (3 s, counted in whole seconds) was over: ${seconds} s`);
  });

  it('judges each check from inside and from outside; a check the probe never reported fails', () => {
    const checks: ServiceCheck[] = [
      { kind: 'tcp', port: 80 },
      { kind: 'unit', name: 'nginx.service' },
      { kind: 'http', url: 'http://localhost/', expect_status: 200 },
    ];
    const probe = parseProbe('H2K-PROBE check 0 ok listening\nH2K-PROBE check 1 ok active\nH2K-PROBE end\n');
    const outside = new Map([[0, { passed: false, detail: 'connection closed by the guest: nothing accepts there' }]]);
    const r = judgeServices(checks, probe, outside);
    assert.deepEqual(
      r.map((x) => [x.check, x.passed]),
      [
        ['tcp 80', false],
        ['unit nginx.service', true],
        ['http http://localhost/ → 200', false],
      ],
    );
    assert.equal(r[2].inside.detail, "the guest's probe did not report it");
    const off = judgeServices(checks.slice(0, 1), probe, new Map(), 'not on the boot network');
    assert.deepEqual(off[0], {
      check: 'tcp 80',
      passed: true,
      inside: { passed: true, detail: 'listening' },
      unreachable: 'not on the boot network',
    });
  });
});
