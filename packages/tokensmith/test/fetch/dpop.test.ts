import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { completeLogin } from '@tokensmith/emulators/internal/oidc/robot.js';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as keycloak from 'tokensmith/internal/keycloak/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { startDPoPResource } from '../../../../test/helpers/dpop-resource.js';

describe('DPoP (RFC 9449)', () => {
  let emu: OidcEmulator;
  let api: Awaited<ReturnType<typeof startDPoPResource>>;
  let dir: string;
  before(async () => {
    emu = await startOidcEmulator({ dpop: { requireNonce: true } });
    api = await startDPoPResource({
      introspection: {
        url: `${emu.issuer}/token/introspection`,
        clientId: emu.clients.confidential.clientId,
        clientSecret: emu.clients.confidential.clientSecret,
      },
      requireNonce: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'ts-dpop-'));
  });
  after(async () => {
    await api.close();
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  const provider = () =>
    oauth2.clientCredentials({
      issuer: emu.issuer,
      clientId: emu.clients.confidential.clientId,
      clientSecret: emu.clients.confidential.clientSecret,
      dpop: true,
    });

  it('gets a DPoP-bound token (nonce retry at the token endpoint) and sends a fresh proof per request', async () => {
    emu.resetStats();
    api.seen.length = 0;
    const manager = new TokenManager(provider());
    const credential = await manager.getCredential();
    assert.equal(credential.tokenType, 'DPoP');
    // The emulator demands a nonce: first answer use_dpop_nonce, then the retry with it.
    assert.equal(emu.stats.tokenRequests, 2);
    // The key is a secret: not in JSON, not in inspect.
    assert.equal(JSON.stringify(credential).includes(credential.dpopKey!.d), false);
    assert.equal(inspect(credential).includes(credential.dpopKey!.d), false);
    assert.equal((credential.toJSON() as { hasDPoPKey?: boolean }).hasDPoPKey, true);

    const f = authFetch(manager);
    const first = await f(`${api.origin}/things?x=1`);
    const second = await f(`${api.origin}/things`, { method: 'POST', body: 'a' });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    // first: refused for the nonce, replayed with it; second: accepted at once.
    assert.deepEqual(
      api.seen.map((s) => [s.method, s.verdict, s.htu]),
      [
        ['GET', 'use_dpop_nonce', `${api.origin}/things`],
        ['GET', 'ok', `${api.origin}/things`],
        ['POST', 'ok', `${api.origin}/things`],
      ],
    );
    assert.equal(new Set(api.seen.map((s) => s.jti)).size, 3);
    assert.equal(emu.stats.tokenRequests, 2); // the nonce challenge renewed nothing

    // A redirect: each hop gets its own proof, for its own URL.
    api.seen.length = 0;
    const moved = await f(`${api.origin}/hop/landed`);
    assert.equal(moved.status, 200);
    assert.deepEqual(
      api.seen.map((s) => [s.verdict, s.htu]),
      [
        ['ok', `${api.origin}/hop/landed`],
        ['ok', `${api.origin}/landed`],
      ],
    );
  });

  it('keeps the nonce a resource server hands out with an accepted answer', async () => {
    const rotating = await startDPoPResource({
      introspection: {
        url: `${emu.issuer}/token/introspection`,
        clientId: emu.clients.confidential.clientId,
        clientSecret: emu.clients.confidential.clientSecret,
      },
      requireNonce: true,
      rotateNonce: true,
    });
    try {
      const f = authFetch(new TokenManager(provider()));
      for (const path of ['/a', '/b', '/c']) assert.equal((await f(`${rotating.origin}${path}`)).status, 200);
      // One challenge; then each answer's new nonce goes into the next proof.
      assert.deepEqual(
        rotating.seen.map((s) => s.verdict),
        ['use_dpop_nonce', 'ok', 'ok', 'ok'],
      );
    } finally {
      await rotating.close();
    }
  });

  it('the keycloak preset takes `dpop` too', async () => {
    const kc = await startOidcEmulator({ realm: 'shop' });
    try {
      const credential = await new TokenManager(
        keycloak.provider({
          baseUrl: kc.origin,
          realm: 'shop',
          grant: 'client_credentials',
          clientId: kc.clients.confidential.clientId,
          clientSecret: kc.clients.confidential.clientSecret,
          dpop: true,
        }),
      ).getCredential();
      assert.equal(credential.tokenType, 'DPoP');
      assert.equal(typeof credential.dpopKey?.d, 'string');
    } finally {
      await kc.close();
    }
  });

  it('another origin gets neither the token nor a proof', async () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    const other = createServer((req, res) => {
      seen.push([req.headers.authorization, req.headers.dpop as string | undefined]);
      res.end('elsewhere');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const f = authFetch(new TokenManager(provider()), { origins: [api.origin] });
      const res = await f(`http://127.0.0.1:${(other.address() as AddressInfo).port}/x`);
      assert.equal(await res.text(), 'elsewhere');
      assert.deepEqual(seen, [[undefined, undefined]]);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('a cached DPoP token (file cache) is usable by another manager; without its key it is re-acquired', async () => {
    const cache = new FileCache({ dir });
    const one = new TokenManager(provider(), { cache });
    const token = (await one.getCredential()).token;
    emu.resetStats();
    api.seen.length = 0;
    // A new provider (a new in-memory key) and manager: the token and its key come from the cache.
    const two = new TokenManager(provider(), { cache: new FileCache({ dir }) });
    const again = await two.getCredential();
    assert.equal(again.token, token);
    assert.equal(emu.stats.tokenRequests, 0);
    const response = await authFetch(two)(`${api.origin}/cached`);
    assert.equal(response.status, 200);
    assert.equal(api.seen.at(-1)?.verdict, 'ok');

    // A DPoP token cached without its key is useless: the cache entry is corrupt (a miss, re-acquired).
    const { dpopKey: _key, ...keyless } = again.toRecord();
    assert.throws(() => Credential.fromRecord(keyless), { code: 'ERR_CACHE_CORRUPT', field: 'dpopKey' });
  });

  it('a refresh keeps the binding (public client: the refresh token is bound to the key too)', async () => {
    let robot: Promise<unknown> | undefined;
    const manager = new TokenManager(
      oauth2.authorizationCode({
        issuer: emu.issuer,
        clientId: emu.clients.public.clientId,
        scope: 'openid offline_access',
        dpop: true,
        openBrowser: async (url) => {
          robot = completeLogin(url, emu.users[0]!);
          robot.catch(() => {});
        },
      }),
    );
    const first = await manager.getCredential();
    await robot;
    assert.equal(first.tokenType, 'DPoP');
    assert.ok(first.refreshToken);
    emu.resetStats();
    const renewed = await manager.getCredential({ forceRefresh: true });
    assert.equal(emu.stats.byGrant.refresh_token, 1);
    assert.notEqual(renewed.token, first.token);
    assert.equal(renewed.tokenType, 'DPoP');
    assert.equal(renewed.dpopKey?.x, first.dpopKey?.x);
    api.seen.length = 0;
    assert.equal((await authFetch(manager)(`${api.origin}/after-refresh`)).status, 200);
    assert.equal(api.seen.at(-1)?.verdict, 'ok');
  });
});
