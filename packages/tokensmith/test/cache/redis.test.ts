import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { entryTtlMs, RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialRecord } from 'tokensmith/internal/core/credential.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { freePort, type RedisServer, startRedisServer } from '../../../../test/helpers/redis-server.js';
import { httpProvider } from './fixtures/http-provider.js';
import { captureLogs } from './fixtures/logs.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';

const logs = captureLogs();
let redis: RedisServer;
let raw: Redis;
let server: TokenServer;
const caches: RedisCache[] = [];

const record = (token: string, extra: Partial<CredentialRecord> = {}): CredentialRecord => ({
  v: 1,
  kind: 'test',
  token,
  tokenType: 'Bearer',
  obtainedAt: Date.now(),
  expiresAt: Date.now() + 600_000,
  clientId: 'client-r',
  ...extra,
});
/** A cache with its own prefix, closed after the tests. */
const open = (options: Partial<ConstructorParameters<typeof RedisCache>[0]> = {}) => {
  const cache = new RedisCache({ url: redis.url, prefix: `t${randomBytes(3).toString('hex')}:`, ...options });
  caches.push(cache);
  return cache;
};

before(async () => {
  server = await startTokenServer({ delayMs: 0 });
  redis = await startRedisServer();
  raw = new Redis(redis.url);
});
after(async () => {
  await Promise.all(caches.map((c) => c.close()));
  raw?.disconnect();
  await redis?.stop();
  await server.close();
});
beforeEach(() => {
  logs.length = 0;
});

describe('entryTtlMs', () => {
  const now = 1_000_000;
  it('keeps an entry as long as its refresh token, else until expiry plus a margin', () => {
    assert.equal(entryTtlMs(record('t', { refreshToken: 'r', refreshExpiresAt: now + 50_000 }), now), 50_000);
    assert.equal(entryTtlMs(record('t', { refreshToken: 'r', expiresAt: now }), now), 30 * 24 * 3600 * 1000);
    assert.equal(entryTtlMs(record('t', { expiresAt: now + 1_000 }), now), 1_000 + 300_000);
    assert.equal(entryTtlMs(record('t', { expiresAt: undefined }), now), undefined);
    assert.ok(
      (entryTtlMs(record('t', { expiresAt: 0 }), now) as number) <= 0,
      'an invalidated entry is useless',
    );
  });
});

describe('RedisCache', () => {
  it('stores with a TTL, lists and deletes entries under its prefix only', async () => {
    const cache = open();
    const other = open();
    await cache.set('k1', record('token-1'));
    await cache.set(
      'k*[2]',
      record('token-2', { refreshToken: 'r2', refreshExpiresAt: Date.now() + 120_000 }),
    );
    await other.set('k1', record('token-other'));
    assert.equal((await cache.get('k1'))?.token, 'token-1');
    assert.deepEqual(await cache.keys(), ['k*[2]', 'k1']);
    const ttl1 = await raw.pttl(cache.entryKey('k1'));
    const ttl2 = await raw.pttl(cache.entryKey('k*[2]'));
    assert.ok(ttl1 > 600_000 && ttl1 <= 900_000, `ttl ${ttl1}`);
    assert.ok(ttl2 > 0 && ttl2 <= 120_000, `ttl ${ttl2}`);
    await cache.delete('k1');
    assert.equal(await cache.get('k1'), undefined);
    assert.deepEqual(await cache.keys(), ['k*[2]']);
    assert.equal((await other.get('k1'))?.token, 'token-other');
    // Writing an entry that can no longer be used removes it.
    await cache.set('k*[2]', record('token-2', { expiresAt: 0 }));
    assert.deepEqual(await cache.keys(), []);
  });

  it('one holder at a time across cache instances; release never removes a lock it no longer owns', async () => {
    const a = open();
    const b = new RedisCache({ url: redis.url, prefix: a.prefix });
    caches.push(b);
    let active = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).withLock('shared', async () => {
          most = Math.max(most, ++active);
          await new Promise((r) => setTimeout(r, 3));
          active--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.ok(a.stats.lockWaits + b.stats.lockWaits > 0, 'someone had to wait');
    const lockKey = a.lockKey('taken-over');
    await a.withLock('taken-over', async () => {
      await raw.set(lockKey, 'someone-else'); // our lock expired and another host took it
    });
    assert.equal(await raw.get(lockKey), 'someone-else');
  });

  it("a crashed holder's lock expires after lockTtlMs; a live one makes waiters give up with ERR_LOCK_TIMEOUT", async () => {
    const cache = open({ lockWaitMs: 200 });
    await raw.set(cache.lockKey('crashed'), 'dead-host', 'PX', 50);
    assert.equal(await cache.withLock('crashed', async () => 'entered'), 'entered');
    assert.equal(cache.stats.lockWaits, 1);
    await raw.set(cache.lockKey('busy'), 'live-host');
    let ran = false;
    await assert.rejects(
      cache.withLock('busy', async () => {
        ran = true;
      }),
      { code: 'ERR_LOCK_TIMEOUT' },
    );
    assert.equal(ran, false);
  });

  it('reports a corrupt entry as ERR_CACHE_CORRUPT and treats it as a miss', async () => {
    const cache = open();
    await raw.set(cache.entryKey('bad'), '{"v":1,"key":"bad","rec');
    assert.equal(await cache.get('bad'), undefined);
    assert.equal(logs.filter((l) => l.includes('ERR_CACHE_CORRUPT')).length, 1);
  });

  it('encrypts entries when given a key: Redis holds no token text', async () => {
    const key = randomBytes(32);
    const cache = open({ encryptionKey: key });
    const secret = record(`tok-${randomBytes(8).toString('hex')}`, {
      refreshToken: `ref-${randomBytes(8).toString('hex')}`,
    });
    await cache.set('enc', secret);
    const stored = (await raw.get(cache.entryKey('enc'))) as string;
    assert.ok(!stored.includes(secret.token) && !stored.includes(secret.refreshToken as string));
    assert.equal((await cache.get('enc'))?.token, secret.token);
    const wrong = new RedisCache({ url: redis.url, prefix: cache.prefix, encryptionKey: randomBytes(32) });
    caches.push(wrong);
    assert.equal(await wrong.get('enc'), undefined);
  });
});

describe('RedisCache when Redis is down', () => {
  it('fails with ERR_CACHE_UNAVAILABLE, with no password in the error or the log', async () => {
    const port = await freePort();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const cache = new RedisCache({ url: `redis://:${password}@127.0.0.1:${port}`, commandTimeoutMs: 1_000 });
    caches.push(cache);
    const manager = new TokenManager(
      httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'down' }),
      {
        cache,
      },
    );
    server.resetCounts();
    await assert.rejects(manager.getCredential(), (e: TokensmithError) => {
      assert.equal(e.code, 'ERR_CACHE_UNAVAILABLE');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.ok(!e.message.includes(password) && !String(e.stack).includes(password));
      return true;
    });
    assert.equal(server.counts.tokenRequests, 0, 'nothing was acquired behind the failed cache');
    assert.ok(!logs.join('\n').includes(password));
  });

  it('with fallbackOnError, acquires without the shared cache and warns once', async () => {
    const port = await freePort();
    const cache = new RedisCache({
      url: `redis://127.0.0.1:${port}`,
      fallbackOnError: true,
      commandTimeoutMs: 1_000,
    });
    caches.push(cache);
    const manager = new TokenManager(
      httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'down' }),
      {
        cache,
      },
    );
    server.resetCounts();
    const credential = await manager.getCredential();
    assert.ok(server.isActive(credential.token));
    assert.equal(server.counts.acquired, 1);
    assert.equal(manager.lastSource, 'acquire');
    assert.ok(cache.stats.fallbacks >= 3, 'read, lock and write each fell back');
    const warnings = logs.filter((l) => l.includes(' warn ') && l.includes('ERR_CACHE_UNAVAILABLE'));
    assert.equal(warnings.length, 1, 'one warning per outage');
  });

  it('uses Redis again once it is back after an outage', async () => {
    const own = await startRedisServer();
    try {
      const cache = new RedisCache({ url: own.url, fallbackOnError: true, commandTimeoutMs: 1_000 });
      caches.push(cache);
      await cache.set('k', record('token-before'));
      await own.stop();
      assert.equal(await cache.get('k'), undefined, 'a miss while Redis is down');
      assert.equal(logs.filter((l) => l.includes(' warn ') && l.includes('ERR_CACHE_UNAVAILABLE')).length, 1);
      const again = await startRedisServer({ port: own.port });
      own.stop = again.stop;
      // ioredis reconnects in the background; poll (bounded) until the cache reads through again.
      let reads = 0;
      while ((await cache.keys()).length === 0 && reads < 200) {
        await cache.set('k', record('token-after'));
        reads++;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await cache.get('k'))?.token, 'token-after');
      assert.ok(logs.some((l) => l.includes('reachable again')));
    } finally {
      await own.stop();
    }
  });

  it('rejects a URL that is not redis:// or rediss://', () => {
    assert.throws(() => new RedisCache({ url: 'http://127.0.0.1:6379' }), { code: 'ERR_CONFIG_INVALID' });
    assert.throws(() => new RedisCache({ url: 'not a url' }), { code: 'ERR_CONFIG_INVALID' });
  });
});
