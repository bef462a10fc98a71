import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { forgetClient } from 'tokensmith/internal/cache/forget.js';
import { MemoryCache } from 'tokensmith/internal/cache/memory.js';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import type { CredentialRecord } from 'tokensmith/internal/core/credential.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { type RedisServer, startRedisServer } from '../../../../test/helpers/redis-server.js';
import { httpProvider } from './fixtures/http-provider.js';
import { captureLogs } from './fixtures/logs.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';

captureLogs();
let redis: RedisServer;
let root: string;
let server: TokenServer;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokensmith-forget-'));
  server = await startTokenServer({ delayMs: 0 });
  redis = await startRedisServer();
});
after(async () => {
  await server.close();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

const record = (token: string, clientId: string | undefined): CredentialRecord => ({
  v: 1,
  kind: 'test',
  token,
  tokenType: 'Bearer',
  obtainedAt: Date.now(),
  expiresAt: Date.now() + 600_000,
  clientId,
});

const kinds: Array<[string, () => CredentialCache]> = [
  ['MemoryCache', () => new MemoryCache()],
  ['FileCache', () => new FileCache({ dir: join(root, 'forget') })],
  ['RedisCache', () => new RedisCache({ url: redis.url, prefix: 'forget:' })],
];

describe('forgetClient (destroy_tokens_for_client)', () => {
  for (const [name, make] of kinds) {
    it(`removes only that client's entries from a ${name}`, async () => {
      const cache = make();
      try {
        await cache.set('p1:alice', record('token-a1', 'app-a'));
        await cache.set('p2:bob', record('token-a2', 'app-a'));
        await cache.set('p3:alice', record('token-b1', 'app-b'));
        await cache.set('p4:none', record('token-n', undefined));
        assert.equal(await forgetClient(cache, 'app-a'), 2);
        assert.deepEqual(await cache.keys(), ['p3:alice', 'p4:none']);
        assert.equal(await forgetClient(cache, 'app-a'), 0, 'nothing left to remove');
        assert.equal(await forgetClient(cache, 'app-b'), 1);
        assert.deepEqual(await cache.keys(), ['p4:none']);
      } finally {
        await cache.close?.();
      }
    });
  }
});

describe('TokenManager.logout with a FileCache', () => {
  it('revokes at the server (RFC 7009) and deletes the entry file', async () => {
    const cache = new FileCache({ dir: join(root, 'logout') });
    const provider = httpProvider({
      tokenEndpoint: server.tokenEndpoint,
      revocationEndpoint: server.revocationEndpoint,
      clientId: 'app-logout',
    });
    const manager = new TokenManager(provider, { cache });
    const credential = await manager.getCredential();
    await access(cache.fileFor(manager.key));
    server.resetCounts();
    assert.deepEqual(await manager.logout(), { revoked: true });
    assert.equal(server.counts.revoked, 2, 'refresh token and access token');
    assert.equal(server.isActive(credential.token), false);
    await assert.rejects(access(cache.fileFor(manager.key)), { code: 'ENOENT' });
    assert.deepEqual(await cache.keys(), []);
    // Another process (a new manager on the same folder) finds nothing and obtains a new credential.
    const next = new TokenManager(provider, { cache: new FileCache({ dir: join(root, 'logout') }) });
    assert.notEqual((await next.getCredential()).token, credential.token);
    assert.equal(next.lastSource, 'acquire');
  });
});
