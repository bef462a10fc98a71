import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { runCli, startCliProxy } from '../../../test/helpers/cli.js';
import { introspect } from '../../../test/helpers/introspect.js';
import { startTokenApi } from '../../../test/helpers/token-api.js';

describe('tokensmith proxy (child process)', () => {
  let emu: OidcEmulator;
  let api: Awaited<ReturnType<typeof startTokenApi>>;
  let cliEnv: Record<string, string>;
  before(async () => {
    emu = await startOidcEmulator();
    api = await startTokenApi();
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-proxy-cli-'));
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    const file = join(dir, 'config', 'tokensmith', 'config.toml');
    writeFileSync(
      file,
      `[profiles.svc]\ntype = "oauth2"\nissuer = "${emu.issuer}"\nclient_id = "${emu.clients.confidential.clientId}"\nclient_secret = "env:SVC_SECRET"\n`,
    );
    chmodSync(file, 0o600);
    cliEnv = {
      TOKENSMITH_LOG: 'info',
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      SVC_SECRET: emu.clients.confidential.clientSecret,
    };
  });
  after(async () => {
    await api.close();
    await emu.close();
  });

  it('prints its URL, injects the token, strips the caller Authorization, and exits 0 on SIGTERM', async () => {
    emu.resetStats();
    const proxy = await startCliProxy(['-p', 'svc', '--upstream', api.url], { env: cliEnv });
    const { url, profile } = proxy;
    assert.equal(profile, 'svc');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const res = await fetch(`${url}/api`, { headers: { authorization: 'Bearer caller-supplied' } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(api.seen.length, 1);
    // The proxy keeps the profile's credential in the file cache: `tokensmith token` run against the
    // same cache prints exactly the token the upstream received, without asking the server again.
    const printed = await runCli(['token', '-p', 'svc'], { env: cliEnv });
    assert.equal(printed.code, 0, printed.stderr);
    const token = printed.stdout.trim();
    assert.equal(api.seen[0]!.auth, `Bearer ${token}`);
    assert.equal(emu.stats.tokenRequests, 1, 'one token, obtained by the proxy');
    const answer = await introspect(emu, token);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, emu.clients.confidential.clientId);

    assert.equal(await proxy.stop(), 0, proxy.stderr());
    const stderr = proxy.stderr();
    assert.match(stderr, /closed on SIGTERM/);
    assert.ok(!stderr.includes(api.seen[0]!.auth!.slice(7)), 'the token is never logged');
    assert.ok(!stderr.includes(emu.clients.confidential.clientSecret));
  });
});
