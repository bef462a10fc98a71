import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { introspect } from '../../../../test/helpers/introspect.js';
import { type RedisServer, startRedisServer } from '../../../../test/helpers/redis-server.js';
import { httpProvider } from './fixtures/http-provider.js';
import { race } from './fixtures/spawn.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';
import type { WorkerCache, WorkerOAuth2 } from './fixtures/worker-config.js';

let server: TokenServer;
let emu: OidcEmulator;
let root: string;
let redis: RedisServer;

before(async () => {
  // The delays keep a renewal in flight long enough that, without the lock, every worker would send one.
  server = await startTokenServer({ rotate: true, delayMs: 150 });
  emu = await startOidcEmulator({ tokenDelayMs: 150 });
  root = await mkdtemp(join(tmpdir(), 'tokensmith-stampede-'));
  redis = await startRedisServer();
});
after(async () => {
  await server.close();
  await emu.close();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

/**
 * Put a credential with a rotating refresh token in `cache` and make it look expired, as if the
 * processes all woke up after its lifetime. Returns the expired access token.
 */
async function seedExpired(cache: CredentialCache, key: string): Promise<string> {
  const manager = new TokenManager(
    httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'stampede' }),
    {
      cache,
      key,
    },
  );
  const first = await manager.getCredential();
  await cache.set(
    key,
    first.with({ expiresAt: Date.now() - 60_000, obtainedAt: Date.now() - 3_660_000 }).toRecord(),
  );
  server.resetCounts();
  return first.token;
}

async function stampede(processes: number, cache: CredentialCache, workerCache: WorkerCache, key: string) {
  const expired = await seedExpired(cache, key);
  const results = await race(
    Array.from({ length: processes }, () => ({
      mode: 'get' as const,
      cache: workerCache,
      key,
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'stampede',
    })),
  );
  const tokens = new Set(results.map((r) => r.token));
  assert.equal(server.counts.tokenRequests, 1, `exactly one token request for ${processes} processes`);
  assert.equal(server.counts.refreshed, 1);
  assert.equal(server.counts.invalidGrant, 0, 'no refresh token was used twice');
  assert.equal(tokens.size, 1, 'all processes hold the same token');
  const [token] = [...tokens];
  assert.notEqual(token, expired);
  assert.ok(server.isActive(token as string), 'and it works: the session was not killed');
  assert.deepEqual(
    results.map((r) => r.source).sort(),
    ['refresh', ...Array.from({ length: processes - 1 }, () => 'cache')].sort(),
  );
  assert.equal((await cache.get(key))?.token, token);
}

describe('cross-process stampede on an expired entry (hand-written token server)', () => {
  it('8 processes sharing a FileCache send exactly 1 token request (rotation on, all end with a working token)', async () => {
    const dir = join(root, 'file');
    await stampede(8, new FileCache({ dir }), { type: 'file', dir }, 'stampede:file');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp')),
      [],
      'no lock or temp file is left behind',
    );
  });

  it('4 processes sharing a RedisCache send exactly 1 token request', async () => {
    const url = redis.url;
    const cache = new RedisCache({ url, prefix: 'stampede:' });
    try {
      await stampede(4, cache, { type: 'redis', url, prefix: 'stampede:' }, 'stampede:redis');
    } finally {
      await cache.close();
    }
  });
});

/** The password grant of the emulator's confidential client, as the worker processes build it. */
function passwordGrant(): WorkerOAuth2 {
  const alice = emu.users[0]!;
  return {
    grant: 'password',
    issuer: emu.issuer,
    clientId: emu.clients.confidential.clientId,
    clientSecret: emu.clients.confidential.clientSecret,
    username: alice.username,
    password: alice.password,
    scope: 'openid',
  };
}

/**
 * Log in through the oauth2 module, put the credential (with its rotating refresh token) in `cache`
 * and make it look expired. Returns it as it was.
 */
async function seedExpiredLogin(cache: CredentialCache, key: string) {
  const g = passwordGrant();
  const manager = new TokenManager(oauth2.password({ ...g, username: g.username!, password: g.password! }), {
    cache,
    key,
  });
  const first = await manager.getCredential();
  await cache.set(
    key,
    first.with({ expiresAt: Date.now() - 60_000, obtainedAt: Date.now() - 360_000 }).toRecord(),
  );
  emu.resetStats();
  return first;
}

/**
 * `processes` workers, each with a TokenManager over the real oauth2 module, wake up on an expired
 * entry at once. With rotation on, a refresh token sent twice makes the emulator revoke the whole
 * grant, so a missing lock shows as a refused refresh and dead tokens, not only as extra requests.
 */
async function oauth2Stampede(
  processes: number,
  cache: CredentialCache,
  workerCache: WorkerCache,
  key: string,
) {
  const seeded = await seedExpiredLogin(cache, key);
  const results = await race(
    Array.from({ length: processes }, () => ({
      mode: 'get' as const,
      cache: workerCache,
      key,
      oauth2: passwordGrant(),
    })),
  );
  assert.equal(emu.stats.tokenRequests, 1, `exactly one token request for ${processes} processes`);
  assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 }, 'one refresh, never refused, no new login');
  const tokens = new Set(results.map((r) => r.token));
  assert.equal(tokens.size, 1, 'all processes hold the same token');
  const [token] = [...tokens] as [string];
  assert.notEqual(token, seeded.token);
  assert.deepEqual(
    results.map((r) => r.source).sort(),
    ['refresh', ...Array.from({ length: processes - 1 }, () => 'cache')].sort(),
  );
  const stored = await cache.get(key);
  assert.equal(stored?.token, token);
  assert.notEqual(stored?.refreshToken, seeded.refreshToken, 'the rotated refresh token was stored');
  // An API asking the server accepts the token: the session was not ended by a reused refresh token.
  const answer = await introspect(emu, token);
  assert.equal(answer.active, true);
  assert.equal(answer.sub, 'alice');
  assert.equal(answer.client_id, emu.clients.confidential.clientId);
  // And the stored (rotated) refresh token still renews.
  const g = passwordGrant();
  const provider = oauth2.password({ ...g, username: g.username!, password: g.password! });
  const renewed = await provider.refresh(
    await new TokenManager(provider, { cache, key }).getCredential(),
    {},
  );
  assert.equal((await introspect(emu, renewed.token)).active, true);
}

describe('cross-process stampede through the oauth2 module against the oidc-provider emulator', () => {
  it('8 processes sharing a FileCache: one refresh_token request, rotation intact, one live token for all', async () => {
    const dir = join(root, 'oauth2-file');
    await oauth2Stampede(8, new FileCache({ dir }), { type: 'file', dir }, 'stampede:oauth2:file');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp')),
      [],
      'no lock or temp file is left behind',
    );
  });

  it('4 processes sharing a RedisCache: one refresh_token request, rotation intact, one live token for all', async () => {
    const cache = new RedisCache({ url: redis.url, prefix: 'stampede-oauth2:' });
    try {
      await oauth2Stampede(
        4,
        cache,
        { type: 'redis', url: redis.url, prefix: 'stampede-oauth2:' },
        'stampede:oauth2:redis',
      );
    } finally {
      await cache.close();
    }
  });

  it('4 processes given the same refresh token (refreshToken grant) and an empty FileCache: it is used once', async () => {
    // The configured token works once when the server rotates: only one process may send it.
    const dir = join(root, 'oauth2-seed');
    const g = passwordGrant();
    const login = await oauth2.password({ ...g, username: g.username!, password: g.password! }).acquire({});
    emu.resetStats();
    const { username: _u, password: _p, ...client } = g;
    const results = await race(
      Array.from({ length: 4 }, () => ({
        mode: 'get' as const,
        cache: { type: 'file' as const, dir },
        key: 'stampede:oauth2:seed',
        oauth2: { ...client, grant: 'refresh_token' as const, refreshToken: login.refreshToken! },
      })),
    );
    assert.deepEqual(emu.stats.byGrant, { refresh_token: 1 });
    assert.deepEqual(results.map((r) => r.source).sort(), ['acquire', 'cache', 'cache', 'cache']);
    const tokens = new Set(results.map((r) => r.token));
    assert.equal(tokens.size, 1);
    assert.equal((await introspect(emu, [...tokens][0]!)).active, true);
  });
});
