import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as keycloak from 'tokensmith/internal/keycloak/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { startTokenApi } from '../../../../test/helpers/token-api.js';

const hasCode = (code: string) => (e: TokensmithError) => {
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return true;
};

describe('OAuth 2 grants against the oidc-provider emulator', () => {
  let emu: OidcEmulator;
  let alice: { username: string; password: string };
  before(async () => {
    emu = await startOidcEmulator();
    alice = emu.users[0]!;
  });
  after(() => emu.close());

  const confidential = () => ({
    issuer: emu.issuer,
    clientId: emu.clients.confidential.clientId,
    clientSecret: emu.clients.confidential.clientSecret,
  });

  it('client_credentials with client_secret_basic, via discovery', async () => {
    emu.resetStats();
    const c = await oauth2.clientCredentials({ ...confidential(), scope: 'api:read' }).acquire({});
    assert.equal(c.tokenType, 'Bearer');
    assert.equal(c.scope, 'api:read');
    assert.equal(c.clientId, emu.clients.confidential.clientId);
    assert.ok(c.expiresAt! > Date.now() + 290_000 && c.expiresAt! <= Date.now() + 300_000);
    assert.deepEqual(emu.stats.byGrant, { client_credentials: 1 });
  });

  it('client_credentials with client_secret_post and with an explicit token endpoint (no discovery)', async () => {
    const post = await oauth2
      .clientCredentials({
        ...confidential(),
        clientId: `${confidential().clientId}-post`,
        clientAuth: 'client_secret_post',
      })
      .acquire({});
    assert.equal(post.tokenType, 'Bearer');
    const direct = await oauth2
      .clientCredentials({
        tokenEndpoint: emu.tokenEndpoint,
        clientId: confidential().clientId,
        clientSecret: confidential().clientSecret,
      })
      .acquire({});
    assert.equal(direct.issuer, emu.tokenEndpoint);
  });

  it('client_credentials with private_key_jwt', async () => {
    const c = await oauth2
      .clientCredentials({
        issuer: emu.issuer,
        clientId: emu.clients.privateKeyJwt.clientId,
        privateKey: emu.clients.privateKeyJwt.privateJwk,
      })
      .acquire({});
    assert.equal(c.tokenType, 'Bearer');
  });

  it('a wrong client secret gives ERR_OAUTH_INVALID_CLIENT with the status and error fields', async () => {
    await assert.rejects(
      oauth2.clientCredentials({ ...confidential(), clientSecret: 'not-the-secret' }).acquire({}),
      (e: TokensmithError) => {
        hasCode('ERR_OAUTH_INVALID_CLIENT')(e);
        assert.equal(e.status, 401);
        assert.equal(e.error, 'invalid_client');
        return true;
      },
    );
  });

  it('password grant returns a verified ID token, then refresh rotates the refresh token', async () => {
    const p = oauth2.password({
      ...confidential(),
      username: alice.username,
      password: alice.password,
      scope: 'openid profile',
    });
    const first = await p.acquire({});
    assert.equal(first.subject, 'alice');
    assert.ok(first.idToken && first.refreshToken);
    assert.ok(first.refreshExpiresAt! > Date.now() + 1_700_000, 'refresh_expires_in is read');
    const second = await p.refresh(first, {});
    assert.notEqual(second.refreshToken, first.refreshToken, 'rotated');
    assert.notEqual(second.token, first.token);
    // Replaying the rotated refresh token is refused (and the server revokes the whole grant).
    await assert.rejects(p.refresh(first, {}), hasCode('ERR_OAUTH_INVALID_GRANT'));
    await assert.rejects(p.refresh(second, {}), hasCode('ERR_OAUTH_INVALID_GRANT'));
  });

  it('a wrong password gives ERR_OAUTH_INVALID_GRANT', async () => {
    await assert.rejects(
      oauth2.password({ ...confidential(), username: 'alice', password: 'wrong-password' }).acquire({}),
      hasCode('ERR_OAUTH_INVALID_GRANT'),
    );
  });

  it('manager: refresh at expiry, and a revoked refresh token leads to re-acquisition (password)', async () => {
    let offset = 0;
    const m = new TokenManager(
      oauth2.password({
        ...confidential(),
        username: alice.username,
        password: alice.password,
        scope: 'openid',
      }),
      { now: () => Date.now() + offset },
    );
    const a = await m.getCredential();
    offset = 310_000; // past the 300 s expiry (inside the window the refresh would run behind the caller)
    const b = await m.getCredential();
    assert.equal(m.lastSource, 'refresh');
    assert.notEqual(b.token, a.token);
    emu.revokeRefreshTokens();
    offset = 580_000;
    const c = await m.getCredential();
    assert.equal(m.lastSource, 'acquire');
    assert.notEqual(c.token, b.token);
    assert.deepEqual(m.stats, { acquired: 2, refreshed: 1, refreshRejected: 1, cacheHits: 0 });
  });

  it('1,000 concurrent getCredential() calls at expiry cause exactly 1 token request at the server', async () => {
    let offset = 0;
    const m = new TokenManager(oauth2.clientCredentials(confidential()), { now: () => Date.now() + offset });
    await m.getCredential();
    offset = 400_000;
    emu.resetStats();
    const all = await Promise.all(Array.from({ length: 1000 }, () => m.getCredential()));
    assert.equal(emu.stats.tokenRequests, 1);
    assert.equal(new Set(all.map((c) => c.token)).size, 1);
  });

  it('device code: prompt, polling while pending, approval by the user, token', async () => {
    emu.resetStats();
    let prompted = 0;
    let pending = 0;
    const p = oauth2.deviceCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid offline_access',
      onPrompt: (prompt) => {
        prompted++;
        assert.match(prompt.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
        // The person approves on another device a moment later.
        setTimeout(() => void completeLogin(prompt.verificationUriComplete!, alice), 1500);
      },
      onPending: () => pending++,
    });
    const c = await p.acquire({});
    assert.equal(prompted, 1);
    assert.ok(pending >= 1, 'polled while the login was pending');
    assert.equal(c.subject, 'alice');
    assert.ok(c.refreshToken);
    assert.equal(p.slowDowns, 0);
  });

  it('device code: slow_down makes the client add 5 seconds to its interval', async () => {
    const fast = await startOidcEmulator({ deviceInterval: 2, announcedDeviceInterval: 1 });
    try {
      const p = oauth2.deviceCode({
        issuer: fast.issuer,
        clientId: fast.clients.public.clientId,
        scope: 'openid',
        // Approved after the second poll, which comes too early (1 s < 2 s) and earns a slow_down.
        onPrompt: (prompt) =>
          void setTimeout(() => void completeLogin(prompt.verificationUriComplete!, fast.users[0]!), 2500),
      });
      const c = await p.acquire({});
      assert.equal(c.subject, 'alice');
      assert.equal(p.slowDowns, 1);
      assert.equal(fast.stats.slowDowns, 1);
    } finally {
      await fast.close();
    }
  });

  it('device code: the person presses "Deny" → ERR_OAUTH_ACCESS_DENIED, the server\'s access_denied', async () => {
    let denial: Promise<{ html: string; forms: number }> | undefined;
    const p = oauth2.deviceCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid',
      onPrompt: (prompt) => {
        denial = completeLogin(prompt.verificationUriComplete!, alice, { deny: true });
      },
    });
    await assert.rejects(p.acquire({}), (e: TokensmithError) => {
      hasCode('ERR_OAUTH_ACCESS_DENIED')(e);
      assert.equal(e.error, 'access_denied');
      assert.equal(e.status, 400);
      return true;
    });
    const page = await denial!;
    assert.equal(page.forms, 2, 'typed the code, then pressed Deny on the confirmation');
    assert.match(page.html, /<p id="denied">The device was not signed in\.<\/p>/);
  });

  it("device code: a code that expires before approval → ERR_OAUTH_EXPIRED_TOKEN, the server's expired_token", async () => {
    let pending = 0;
    const p = oauth2.deviceCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid',
      // Nobody approves; the code's lifetime runs out before the first poll.
      onPrompt: () => assert.equal(emu.expireDeviceCodes(), 1),
      onPending: () => pending++,
    });
    await assert.rejects(p.acquire({}), (e: TokensmithError) => {
      hasCode('ERR_OAUTH_EXPIRED_TOKEN')(e);
      assert.equal(e.error, 'expired_token', "answered by the server, not by the client's own clock");
      assert.equal(e.status, 400);
      return true;
    });
    assert.equal(pending, 0);
  });

  it('device code: a short-lived code nobody approves ends with ERR_OAUTH_EXPIRED_TOKEN', async () => {
    const short = await startOidcEmulator({ deviceCodeTtl: 2 });
    try {
      let expiresIn = 0;
      const p = oauth2.deviceCode({
        issuer: short.issuer,
        clientId: short.clients.public.clientId,
        scope: 'openid',
        onPrompt: (prompt) => {
          expiresIn = prompt.expiresIn;
        },
      });
      await assert.rejects(p.acquire({}), hasCode('ERR_OAUTH_EXPIRED_TOKEN'));
      assert.equal(expiresIn, 2);
    } finally {
      await short.close();
    }
  });

  it('device code: an aborted login ends with ERR_ABORTED', async () => {
    const controller = new AbortController();
    const p = oauth2.deviceCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid',
      onPrompt: () => controller.abort(),
    });
    await assert.rejects(p.acquire({ signal: controller.signal }), hasCode('ERR_ABORTED'));
  });

  it('authorization code + PKCE (scripted login), then ERR_LOGIN_REQUIRED once the session is revoked', async () => {
    let offset = 0;
    const provider = oauth2.authorizationCode({
      issuer: emu.issuer,
      clientId: emu.clients.public.clientId,
      scope: 'openid offline_access',
      openBrowser: (url) => void completeLogin(url, alice),
    });
    const m = new TokenManager(provider, { now: () => Date.now() + offset });
    const c = await m.getCredential();
    assert.equal(c.subject, 'alice');
    offset = 400_000;
    await m.getCredential();
    assert.equal(m.lastSource, 'refresh');
    emu.revokeRefreshTokens();
    offset = 800_000;
    await assert.rejects(m.getCredential(), hasCode('ERR_LOGIN_REQUIRED'));
  });

  it('token exchange trades an access token for one with another audience', async () => {
    const subject = await oauth2.clientCredentials(confidential()).acquire({});
    const exchanged = await oauth2
      .tokenExchange({ ...confidential(), subjectToken: subject.token, audience: 'https://api.example.test' })
      .acquire({});
    assert.notEqual(exchanged.token, subject.token);
    assert.equal(exchanged.audience, 'https://api.example.test');
  });

  it('logout revokes at the server (RFC 7009) and forgets', async () => {
    const cache = new MemoryCache();
    const m = new TokenManager(
      oauth2.password({
        ...confidential(),
        username: alice.username,
        password: alice.password,
        scope: 'openid',
      }),
      { cache },
    );
    await m.getCredential();
    emu.resetStats();
    assert.deepEqual(await m.logout(), { revoked: true });
    assert.equal(emu.stats.revocations, 2, 'refresh token and access token');
    assert.deepEqual(await cache.keys(), []);
  });

  it('authFetch: 401 forces one renewal and one replay; a stream body and a permanent 401 are not retried', async () => {
    const api = await startTokenApi();
    const always = await startTokenApi({ alwaysUnauthorized: true });
    try {
      const m = new TokenManager(oauth2.clientCredentials(confidential()));
      const f = authFetch(m);
      const first = await m.getCredential();
      api.revoked.add(first.token);
      emu.resetStats();
      const res = await f(api.url, { method: 'POST', body: JSON.stringify({ n: 1 }) });
      assert.equal(res.status, 200);
      assert.equal(api.seen.length, 2);
      assert.equal(api.seen[1]!.body, '{"n":1}', 'the body is replayed');
      assert.equal(emu.stats.tokenRequests, 1);

      const r2 = await authFetch(m)(always.url);
      assert.equal(r2.status, 401);
      assert.equal(always.seen.length, 2, 'one replay, never a loop');

      const stream = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('x'));
          c.close();
        },
      });
      const r3 = await authFetch(m)(always.url, {
        method: 'POST',
        body: stream,
        duplex: 'half',
      } as RequestInit);
      assert.equal(r3.status, 401);
      assert.equal(always.seen.length, 3, 'a stream body cannot be replayed');
    } finally {
      await api.close();
      await always.close();
    }
  });

  it('refuses plain http to a non-loopback issuer unless allowed, before sending anything', () => {
    assert.throws(
      () => oauth2.clientCredentials({ issuer: 'http://sso.example.test/realms/x', clientId: 'c' }),
      hasCode('ERR_INSECURE_HTTP'),
    );
    assert.doesNotThrow(() =>
      oauth2.clientCredentials({
        issuer: 'http://sso.example.test/realms/x',
        clientId: 'c',
        allowInsecureHttp: true,
      }),
    );
  });
});

describe('Keycloak preset', () => {
  it('builds the realm issuer, with and without the legacy /auth prefix', () => {
    assert.equal(
      keycloak.issuerUrl('https://sso.example.test', 'nagra'),
      'https://sso.example.test/realms/nagra',
    );
    assert.equal(
      keycloak.issuerUrl('https://h.example.test/keycloak/auth/', 'nagra'),
      'https://h.example.test/keycloak/auth/realms/nagra',
    );
    assert.equal(
      keycloak.issuerUrl('https://h.example.test/keycloak', 'nagra', true),
      'https://h.example.test/keycloak/auth/realms/nagra',
    );
    assert.throws(
      () => keycloak.issuerUrl('https://h.example.test/realms/x', 'y'),
      hasCode('ERR_CONFIG_INVALID'),
    );
  });

  it('against a realm-mounted emulator with the /auth prefix: password grant, and re-acquire once the refresh token expired', async () => {
    const emu = await startOidcEmulator({ realm: 'nagra', legacyAuthPrefix: true, refreshTokenTtl: 60 });
    try {
      const user = emu.users[0]!;
      let offset = 0;
      const m = new TokenManager(
        keycloak.provider({
          baseUrl: emu.origin,
          realm: 'nagra',
          legacyAuthPrefix: true,
          grant: 'password',
          clientId: emu.clients.confidential.clientId,
          clientSecret: emu.clients.confidential.clientSecret,
          username: user.username,
          password: user.password,
        }),
        { now: () => Date.now() + offset },
      );
      const a = await m.getCredential();
      assert.equal(a.issuer, `${emu.origin}/auth/realms/nagra`);
      assert.ok(a.refreshExpiresAt! <= Date.now() + 60_000);
      offset = 600_000; // both tokens expired: no refresh attempt, straight to a new login
      emu.resetStats();
      await m.getCredential();
      assert.equal(m.lastSource, 'acquire');
      assert.deepEqual(emu.stats.byGrant, { password: 1 });
    } finally {
      await emu.close();
    }
  });
});
