import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { runCli } from '../helpers/cli.js';

// Issue #11 item 11: a leaked token must be replaceable from the shell, so `--force-refresh` in a new
// process renews even though the cache (written by an earlier process) holds a fresh token.
describe('token --force-refresh across processes', () => {
  let emu: OidcEmulator;
  let env: Record<string, string>;
  let base: string[];
  before(async () => {
    emu = await startOidcEmulator();
    env = {
      DEMO_CLIENT_SECRET: emu.clients.confidential.clientSecret,
      // One cache folder shared by the three processes below, and no one else's.
      XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'tokensmith-force-')),
    };
    base = [
      'token',
      '--issuer',
      emu.issuer,
      '--client-id',
      emu.clients.confidential.clientId,
      '--client-secret-env',
      'DEMO_CLIENT_SECRET',
    ];
  });
  after(() => emu.close());

  it('a new process with --force-refresh gets a new token, and later runs see the new one', async () => {
    const first = await runCli(base, { env });
    assert.equal(first.code, 0, first.stderr);
    const again = await runCli(base, { env });
    assert.equal(again.stdout, first.stdout, 'a plain second run is served from the cache');

    const forced = await runCli([...base, '--force-refresh'], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^\S{20,}\n$/);
    assert.notEqual(forced.stdout, first.stdout, '--force-refresh must not return the cached token');

    const after = await runCli(base, { env });
    assert.equal(after.stdout, forced.stdout, 'the renewed token replaced the cached one');
  });
});
