// The guestfish session's protocol, without an appliance: guestfish's own local commands (echo, lcd)
// answer before any launch. Every argument must reach guestfish exactly as given, and each reply
// must carry its own output and nothing of the next one's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuestfishShell } from '../../src/tools/guestfish.js';

const shell = () => new GuestfishShell('guestfish', { LIBGUESTFS_BACKEND: 'direct' });

describe('guestfish session protocol', () => {
  it('quotes any argument so that guestfish reads it back byte for byte', async () => {
    const s = shell();
    try {
      const args = [
        'plain',
        'two words',
        'a "quoted" \\ backslash',
        "it's",
        'line one\nline two',
        'tab\there, bell\x07, del\x7f',
        '#not-a-comment',
        '-dash !bang <lt',
        'unicode ü 🙂',
        '',
      ];
      for (const a of args) {
        const r = await s.send(['echo', a]);
        assert.equal(r.failed, false, r.stderr);
        assert.equal(r.stdout, `${a}\n`, JSON.stringify(a));
      }
    } finally {
      await s.close();
    }
  });

  it('a failing command is a failure with its message; the next command is unaffected', async () => {
    const s = shell();
    try {
      const bad = await s.send(['lcd', '/nonexistent-h2k-test']);
      assert.equal(bad.failed, true);
      assert.match(bad.stderr, /nonexistent-h2k-test: No such file or directory/);
      const bad2 = await s.send(['no-such-command']);
      assert.equal(bad2.failed, true);
      assert.match(bad2.stderr, /unknown command/);
      const ok = await s.send(['echo', 'after']);
      assert.deepEqual(ok, { stdout: 'after\n', stderr: '', failed: false });
    } finally {
      await s.close();
    }
  });

  it('commands sent at once are answered in order, each with its own output', async () => {
    const s = shell();
    try {
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => s.send(['echo', `n${i}`])));
      assert.deepEqual(
        replies.map((r) => r.stdout),
        Array.from({ length: 50 }, (_, i) => `n${i}\n`),
      );
    } finally {
      await s.close();
    }
  });

  it('a guestfish that died fails the command in flight and every later one', async () => {
    const s = shell();
    process.kill(s.pid, 'SIGKILL');
    await assert.rejects(s.send(['echo', 'x']), /guestfish ended \(SIGKILL\)|guestfish echo failed/);
    await assert.rejects(s.send(['echo', 'y']), /guestfish ended/);
    await s.close();
  });
});
