// 50 rounds of two real `h2k apply` processes started together on one state. Each round both must
// succeed (one waits for the other's lock), the state must parse with a sane serial, and the audit
// chain must verify. `apply -refresh-only` is used because it changes the state under the same lock
// and atomic write as a full apply, without spending a guest launch per round.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { h2k, writeConfig } from '../helpers.js';

describe('concurrent applies on one state', { timeout: 10 * 60_000 }, () => {
  it('50 rounds: both processes succeed, state and audit stay intact', async () => {
    const dir = writeConfig({ 'main.h2k.hcl': 'policy "p" {\n}\n' });
    const statePath = join(dir, '.h2k', 'state.json');
    let lastSerial = -1;
    for (let round = 0; round < 50; round++) {
      // Something for this round to fix: a VM the configuration does not have.
      const s = existsSync(statePath)
        ? JSON.parse(readFileSync(statePath, 'utf8'))
        : { version: 1, serial: 0, lineage: 'l', vms: {} };
      s.vms[`vm.gone${round}`] = { stages: {} };
      mkdirSync(join(dir, '.h2k'), { recursive: true });
      writeFileSync(statePath, JSON.stringify(s));
      const [a, b] = await Promise.all([
        h2k(['apply', dir, '-refresh-only', '-auto-approve', '-lock-timeout', '30s']),
        h2k(['apply', dir, '-refresh-only', '-auto-approve', '-lock-timeout', '30s']),
      ]);
      assert.equal(a.exitCode, 0, `round ${round}: ${a.stderr}`);
      assert.equal(b.exitCode, 0, `round ${round}: ${b.stderr}`);
      const state = JSON.parse(readFileSync(statePath, 'utf8'));
      assert.deepEqual(state.vms, {}, `round ${round}`);
      assert.ok(state.serial > lastSerial, `round ${round}: serial ${state.serial} after ${lastSerial}`);
      lastSerial = state.serial;
      // Exactly one of the two found the drift.
      assert.equal([a, b].filter((r) => /1 record\(s\) forgotten/.test(r.stdout)).length, 1, `round ${round}`);
    }
    const verify = await h2k(['audit', 'verify', dir]);
    assert.equal(verify.exitCode, 0, verify.stderr);
    assert.equal(verify.stdout, 'ok: 50 audit record(s), chain intact.\n');
  });
});
