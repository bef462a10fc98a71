import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { freePort } from '../../../../test/helpers/redis-server.js';
import { ExposureLog } from '../../../../test/helpers/secrets.js';

const hasCode = (code: string) => (e: TokensmithError) => {
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return true;
};

/** ERR_LOGIN_REQUIRED caused by the server's invalid_grant, as the refreshToken grant reports a dead token. */
const loginRequired = (e: TokensmithError) => {
  hasCode('ERR_LOGIN_REQUIRED')(e);
  assert.equal(e.message, 'the configured refresh token is no longer accepted');
  assert.equal(e.status, 400);
  const cause = e.cause as TokensmithError;
  assert.equal(cause.code, 'ERR_OAUTH_INVALID_GRANT');
  assert.equal(cause.error, 'invalid_grant');
  return true;
};

describe('refreshToken grant (a refresh token obtained elsewhere) against the oidc-provider emulator', () => {
  let emu: OidcEmulator;
  before(async () => {
    emu = await startOidcEmulator();
  });
  after(() => emu.close());
  beforeEach(() => emu.resetStats());

  const confidential = () => ({
    issuer: emu.issuer,
    clientId: emu.clients.confidential.clientId,
    clientSecret: emu.clients.confidential.clientSecret,
  });

  /** A refresh token from a password login (what another tool or an earlier login left behind). */
  async function seed(client: { issuer: string; clientId: string; clientSecret?: string } = confidential()) {
    const alice = emu.users[0]!;
    const first = await oauth2
      .password({ ...client, username: alice.username, password: alice.password, scope: 'openid' })
      .acquire({});
    emu.resetStats();
    return first;
  }

  it('acquire trades the configured token: a new access token, a rotated refresh token, one refresh_token request', async () => {
    const first = await seed();
    const provider = oauth2.refreshToken({ ...confidential(), refreshToken: first.refreshToken! });
    assert.equal(provider.grant, 'refresh_token');
    assert.equal(provider.interactive, true);
    const c = await provider.acquire({});
    assert.notEqual(c.token, first.token);
    assert.ok(c.refreshToken);
    assert.notEqual(c.refreshToken, first.refreshToken, 'rotated');
    assert.equal(c.subject, 'alice', 'from the ID token of the refresh response');
    assert.equal(c.meta.grant, 'refresh_token');
    assert.equal(c.clientId, emu.clients.confidential.clientId);
    assert.ok(c.refreshExpiresAt! > Date.now() + 1_700_000, 'refresh_expires_in is read');
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 });
  });

  it('manager: acquires from the configured token, then renews with the rotated one at expiry', async () => {
    const first = await seed();
    let offset = 0;
    const m = new TokenManager(
      oauth2.refreshToken({ ...confidential(), refreshToken: first.refreshToken! }),
      {
        now: () => Date.now() + offset,
      },
    );
    const a = await m.getCredential();
    assert.equal(m.lastSource, 'acquire');
    assert.equal((await m.getCredential()).token, a.token);
    assert.equal(m.lastSource, 'memory');
    offset = 310_000; // past the 300 s expiry (inside the window the refresh would run behind the caller)
    const b = await m.getCredential();
    assert.equal(m.lastSource, 'refresh');
    assert.notEqual(b.token, a.token);
    assert.notEqual(b.refreshToken, a.refreshToken);
    assert.deepEqual(m.stats, { acquired: 1, refreshed: 1, refreshRejected: 0, cacheHits: 0 });
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 2 });
  });

  it('with rotation the configured token works once: a second use is ERR_LOGIN_REQUIRED and ends the session', async () => {
    const first = await seed();
    const options = { ...confidential(), refreshToken: first.refreshToken! };
    let offset = 0;
    const m = new TokenManager(oauth2.refreshToken(options), { now: () => Date.now() + offset });
    await m.getCredential();
    // Another process without the first one's cache starts from the same (now rotated) token.
    await assert.rejects(oauth2.refreshToken(options).acquire({}), loginRequired);
    // The server took the reuse for theft and revoked the grant: the first manager's token is dead too.
    offset = 400_000;
    await assert.rejects(m.getCredential(), hasCode('ERR_LOGIN_REQUIRED'));
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1, 'refresh_token:error': 2 });
  });

  it('a token the server no longer accepts (sessions logged out) gives ERR_LOGIN_REQUIRED, not a retry loop', async () => {
    const first = await seed();
    assert.ok(emu.revokeRefreshTokens() >= 1);
    const m = new TokenManager(oauth2.refreshToken({ ...confidential(), refreshToken: first.refreshToken! }));
    await assert.rejects(m.getCredential(), loginRequired);
    assert.equal(emu.stats.tokenRequests, 1);
    assert.deepEqual(m.stats, { acquired: 0, refreshed: 0, refreshRejected: 0, cacheHits: 0 });
  });

  it('without rotation the configured token stays valid for every process', async () => {
    const steady = await startOidcEmulator({ rotateRefreshTokens: false });
    try {
      const alice = steady.users[0]!;
      const client = {
        issuer: steady.issuer,
        clientId: steady.clients.confidential.clientId,
        clientSecret: steady.clients.confidential.clientSecret,
      };
      const first = await oauth2
        .password({ ...client, username: alice.username, password: alice.password, scope: 'openid' })
        .acquire({});
      const options = { ...client, refreshToken: first.refreshToken! };
      const one = await oauth2.refreshToken(options).acquire({});
      const two = await oauth2.refreshToken(options).acquire({});
      assert.notEqual(one.token, two.token);
      assert.equal(one.refreshToken, first.refreshToken, 'not rotated');
      assert.equal(two.refreshToken, first.refreshToken);
      assert.equal(steady.stats.byGrant.refresh_token, 2);
    } finally {
      await steady.close();
    }
  });

  it('works for a public client (no client secret, client authentication "none")', async () => {
    const client = { issuer: emu.issuer, clientId: emu.clients.public.clientId };
    const first = await seed(client);
    const c = await oauth2.refreshToken({ ...client, refreshToken: first.refreshToken! }).acquire({});
    assert.equal(c.subject, 'alice');
    assert.equal(c.clientId, 'tokensmith-native');
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 });
  });

  it('a client error stays what it is: a wrong client secret is ERR_OAUTH_INVALID_CLIENT, not a login', async () => {
    const first = await seed();
    await assert.rejects(
      oauth2
        .refreshToken({
          ...confidential(),
          clientSecret: 'not-the-secret',
          refreshToken: first.refreshToken!,
        })
        .acquire({}),
      (e: TokensmithError) => {
        hasCode('ERR_OAUTH_INVALID_CLIENT')(e);
        assert.equal(e.status, 401);
        return true;
      },
    );
  });

  it('a transport failure stays what it is: ERR_NETWORK when nothing listens', async () => {
    const port = await freePort();
    await assert.rejects(
      oauth2
        .refreshToken({
          tokenEndpoint: `http://127.0.0.1:${port}/token`,
          clientId: 'c',
          refreshToken: 'rt-for-a-closed-port',
          retry: false,
        })
        .acquire({}),
      hasCode('ERR_NETWORK'),
    );
  });

  it('refuses an empty refresh token, and never shows the token in errors, logs or inspect output', async () => {
    assert.throws(
      () => oauth2.refreshToken({ ...confidential(), refreshToken: '' }),
      hasCode('ERR_CONFIG_INVALID'),
    );
    const first = await seed();
    emu.revokeRefreshTokens();
    const exposure = new ExposureLog().start();
    try {
      const provider = oauth2.refreshToken({ ...confidential(), refreshToken: first.refreshToken! });
      exposure.value(provider);
      const m = new TokenManager(provider, { cache: new MemoryCache() });
      exposure.error(await m.getCredential().catch((e: unknown) => e));
    } finally {
      exposure.stop();
    }
    assert.deepEqual(exposure.leaks([first.refreshToken, emu.clients.confidential.clientSecret]), []);
    assert.ok(exposure.lines.some((l) => l.includes('ERR_LOGIN_REQUIRED')));
  });
});
