// The esxi source logging in with a private key and reading a disk chain over SFTP for inspection:
// the plan starts an appliance on the chain (a blank disk, so inspection finds nothing to convert),
// which is why this lives in e2e/ and the rest of the esxi source's tests in providers/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { SSH_USER, type Sshd, esxiVm, startSshd } from '../fixtures/sshd.js';
import { h2k, tempDir, writeConfig } from '../helpers.js';

describe('esxi source: a private key login, the chain read over SFTP', () => {
  let sshd: Sshd;

  before(async () => {
    sshd = await startSshd();
    const flat = join(tempDir(), 'app01-flat.bin');
    await execa('qemu-img', ['create', '-q', '-f', 'raw', flat, '16M']);
    esxiVm(sshd.datastores, {
      ds: 'datastore1',
      name: 'app01',
      flat,
      sectors: 32768,
      mac: '00:50:56:8a:33:01',
      uuid: '42 00 00 01',
    });
  });
  after(async () => sshd?.stop());

  it('logs in with a private key, and reads the chain over SFTP', async () => {
    const dir = writeConfig({
      'main.h2k.hcl': `source "esxi" "host" {
  host             = "127.0.0.1"
  port             = ${sshd.port}
  username         = "${SSH_USER}"
  private_key_file = "${sshd.clientKey}"
  host_key         = "${sshd.hostKey}"
  datastore_root   = "${sshd.datastores}"
}

vm "app" {
  source = source.esxi.host
  name   = "app01"
}
`,
    });
    const r = await h2k(['plan', dir, '-out', join(dir, 'plan.json'), '--no-color']);
    // The 16 MiB blank disk has no OS: the chain was read, then inspection found nothing to convert.
    assert.match(r.stderr, /vm\.app: no filesystems found on the disks/);
    assert.doesNotMatch(r.stderr, /refused the|host key/);
  });
});
