import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileCache } from '../../src/cache/file.js';
import { RedisCache } from '../../src/cache/redis.js';
import type { CredentialCache } from '../../src/core/cache.js';
import { TokenManager } from '../../src/core/manager.js';
import { type RedisServer, redisSkipReason, startRedisServer } from '../helpers/redis-server.js';
import { httpProvider } from './fixtures/http-provider.js';
import { race } from './fixtures/spawn.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';
import type { WorkerCache } from './fixtures/worker-config.js';

let server: TokenServer;
let root: string;
const redisSkip = redisSkipReason();
let redis: RedisServer | undefined;

before(async () => {
  // The delay keeps the refresh in flight long enough that, without the lock, every worker would send one.
  server = await startTokenServer({ rotate: true, delayMs: 150 });
  root = await mkdtemp(join(tmpdir(), 'tokensmith-stampede-'));
  if (!redisSkip) redis = await startRedisServer();
});
after(async () => {
  await server.close();
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

describe('cross-process stampede on an expired entry', () => {
  it('8 processes sharing a FileCache send exactly 1 token request (rotation on, all end with a working token)', async () => {
    const dir = join(root, 'file');
    await stampede(8, new FileCache({ dir }), { type: 'file', dir }, 'stampede:file');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp')),
      [],
      'no lock or temp file is left behind',
    );
  });

  it('4 processes sharing a RedisCache send exactly 1 token request', { skip: redisSkip }, async () => {
    const url = (redis as RedisServer).url;
    const cache = new RedisCache({ url, prefix: 'stampede:' });
    try {
      await stampede(4, cache, { type: 'redis', url, prefix: 'stampede:' }, 'stampede:redis');
    } finally {
      await cache.close();
    }
  });
});
