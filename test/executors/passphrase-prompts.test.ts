// The boot test types a LUKS passphrase when the guest's console asks for it: which prompts it
// recognises (as initramfs-tools' cryptroot and systemd's password agent print them), which
// passphrase answers each, and when to stop (a prompt repeated: the guest refused the passphrase).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextPassphrase, passphrasePrompts } from '../../src/executors/boot-test.js';
import { linux } from '../../src/guests/linux/index.js';
import { Sensitive } from '../../src/schema/values.js';

const prompts = linux.boot.passphrasePrompts!;
const keys = [
  { name: 'sda2_crypt', key: new Sensitive('root pass') },
  { name: 'cr_home', key: new Sensitive('home pass') },
];

describe('passphrase prompts on the console', () => {
  it("recognises cryptroot's and systemd's prompts, in the order the console shows them", () => {
    const serial =
      '[    3.1] cryptsetup: Waiting for encrypted source device UUID=0b1c...\r\n' +
      'Please unlock disk sda2_crypt: \r\n[    9.0] systemd[1]: Started ...\r\n' +
      '🔐 Please enter passphrase for disk QEMU HARDDISK (cr_home): ';
    assert.deepEqual(passphrasePrompts(serial, prompts), ['sda2_crypt', 'cr_home']);
    assert.deepEqual(passphrasePrompts('[    1.0] Linux version 6.1.0\n', prompts), []);
  });
  it('answers each prompt with its volume’s passphrase, one at a time', () => {
    assert.equal(nextPassphrase(['sda2_crypt'], 0, keys).key, keys[0].key);
    assert.deepEqual(nextPassphrase(['sda2_crypt'], 1, keys), {});
    assert.equal(nextPassphrase(['sda2_crypt', 'cr_home'], 1, keys).key, keys[1].key);
  });
  it('a prompt repeated means the passphrase was refused; an unknown volume is not guessed', () => {
    assert.match(nextPassphrase(['sda2_crypt', 'sda2_crypt'], 1, keys).failure!, /asked again .* sda2_crypt/);
    assert.match(nextPassphrase(['other'], 0, keys).failure!, /does not hold \(other\)/);
    // A prompt that names no volume: the one passphrase there is, never one of several.
    assert.equal(nextPassphrase([''], 0, keys.slice(0, 1)).key, keys[0].key);
    assert.ok(nextPassphrase([''], 0, keys).failure);
  });
});
