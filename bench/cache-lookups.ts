/**
 * What a cached credential costs when each call builds a new manager (a CLI run) with the memory,
 * file and Redis caches, and a warm Redis manager; plus the cross-process stampede (processes, token
 * requests) against a loopback token endpoint. Warm memory and file lookups next to other libraries
 * and a bare `Map.get` baseline are in `peers.ts`.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { MemoryCache } from 'tokensmith/internal/core/memory-cache.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import { httpProvider } from '../packages/tokensmith/test/cache/fixtures/http-provider.js';
import { race } from '../packages/tokensmith/test/cache/fixtures/spawn.js';
import {
  startTokenServer,
  type TokenServer,
} from '../packages/tokensmith/test/cache/fixtures/token-server.js';
import type { WorkerCache } from '../packages/tokensmith/test/cache/fixtures/worker-config.js';
import { findRedisServer, type RedisServer, startRedisServer } from '../test/helpers/redis-server.js';
import type { BenchModule, BenchRow } from './index.js';
import { callsPerSecond, perCall, rate } from './measure.js';

const NAME = 'cache-lookups';

/**
 * A warm manager (memory fast path; skipped with `warm: false` where the peers module measures it
 * next to other libraries) and a fresh manager per call (a CLI run).
 */
async function lookups(
  label: string,
  cache: CredentialCache,
  provider: Provider,
  options: { warm?: boolean } = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  if (options.warm ?? true) {
    const warm = new TokenManager(provider, { cache });
    await warm.getCredential(); // acquires once and stores it in the cache
    const warmRate = await callsPerSecond(() => warm.getCredential());
    rows.push({
      bench: NAME,
      case: `getCredential(), ${label} cache, warm manager`,
      result: rate(warmRate),
      note: perCall(warmRate),
    });
  }
  await new TokenManager(provider, { cache }).getCredential(); // make sure the cache holds it
  const coldRate = await callsPerSecond(() => new TokenManager(provider, { cache }).getCredential());
  return [
    ...rows,
    {
      bench: NAME,
      case: `getCredential(), ${label} cache, new manager per call`,
      result: rate(coldRate),
      note: `${perCall(coldRate)} (reads the cache, like a CLI run)`,
    },
  ];
}

/** Seed an expired credential, then release `processes` workers at once and count token requests. */
async function stampede(
  label: string,
  processes: number,
  server: TokenServer,
  cache: CredentialCache,
  workerCache: WorkerCache,
): Promise<BenchRow> {
  const key = `bench:stampede:${label}`;
  const seeded = await new TokenManager(
    httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'bench' }),
    {
      cache,
      key,
    },
  ).getCredential();
  await cache.set(key, seeded.with({ expiresAt: Date.now() - 60_000 }).toRecord());
  server.resetCounts();
  const results = await race(
    Array.from({ length: processes }, () => ({
      mode: 'get' as const,
      cache: workerCache,
      key,
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'bench',
    })),
  );
  const tokens = new Set(results.map((r) => r.token)).size;
  const working = results.every((r) => server.isActive(r.token));
  return {
    bench: NAME,
    case: `stampede, ${label} cache: ${processes} processes, expired entry`,
    result: `${server.counts.tokenRequests} token request${server.counts.tokenRequests === 1 ? '' : 's'}`,
    note: `${tokens} distinct token(s), ${server.counts.invalidGrant} invalid_grant, all working: ${working}`,
  };
}

async function run(): Promise<BenchRow[]> {
  configureLogging({ level: 'error' });
  const rows: BenchRow[] = [];
  // Delay the token endpoint so that without the cache lock every process would refresh.
  const server = await startTokenServer({ rotate: true, delayMs: 150 });
  const dir = await mkdtemp(join(tmpdir(), 'tokensmith-bench-'));
  let redis: RedisServer | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    const provider = httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'bench' });
    // Warm memory and file managers, and the Map baseline, are in the peers module's table.
    rows.push(...(await lookups('memory', new MemoryCache(), provider, { warm: false })));
    const fileCache = new FileCache({ dir: join(dir, 'file') });
    rows.push(...(await lookups('file', fileCache, provider, { warm: false })));

    if (findRedisServer()) {
      redis = await startRedisServer();
      const redisCache = new RedisCache({ url: redis.url, prefix: 'bench:' });
      closers.push(() => redisCache.close());
      rows.push(...(await lookups('redis', redisCache, provider)));
      rows.push(await stampede('file', 8, server, fileCache, { type: 'file', dir: join(dir, 'file') }));
      rows.push(
        await stampede('redis', 4, server, redisCache, { type: 'redis', url: redis.url, prefix: 'bench:' }),
      );
    } else {
      rows.push({
        bench: NAME,
        case: 'redis cases',
        result: 'skipped',
        note: 'redis-server is not installed',
      });
      rows.push(await stampede('file', 8, server, fileCache, { type: 'file', dir: join(dir, 'file') }));
    }
  } finally {
    for (const close of closers) await close();
    await redis?.stop();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The cache-lookups bench module. */
export const cacheLookups: BenchModule = { name: NAME, run };
