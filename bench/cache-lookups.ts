/**
 * What a cached credential costs: calls per second of `getCredential()` with the memory, file and
 * Redis caches, next to a bare `Map.get` + `Date.now()` measured in the same run; plus the
 * cross-process stampede (processes, token requests) against a loopback token endpoint.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCache } from '../src/cache/file.js';
import { MemoryCache } from '../src/cache/memory.js';
import { RedisCache } from '../src/cache/redis.js';
import type { CredentialCache } from '../src/core/cache.js';
import { configureLogging } from '../src/core/log.js';
import { TokenManager } from '../src/core/manager.js';
import type { Provider } from '../src/core/provider.js';
import { httpProvider } from '../test/cache/fixtures/http-provider.js';
import { race } from '../test/cache/fixtures/spawn.js';
import { startTokenServer, type TokenServer } from '../test/cache/fixtures/token-server.js';
import type { WorkerCache } from '../test/cache/fixtures/worker-config.js';
import { findRedisServer, type RedisServer, startRedisServer } from '../test/helpers/redis-server.js';
import type { BenchModule, BenchRow } from './index.js';

const NAME = 'cache-lookups';
/** Time spent measuring each case (after a short warm-up). */
const MEASURE_MS = 800;

/** Calls per second of `fn`, run back to back for about {@link MEASURE_MS}. */
async function callsPerSecond(fn: () => unknown): Promise<number> {
  const run = async (ms: number) => {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    // Check the clock once per batch so timing overhead does not dominate fast cases.
    while (elapsed < ms) {
      for (let i = 0; i < 1000; i++) await fn();
      calls += 1000;
      elapsed = performance.now() - start;
    }
    return (calls / elapsed) * 1000;
  };
  await run(100);
  return run(MEASURE_MS);
}

/** The same loop without `await`, for the synchronous baseline. */
function syncCallsPerSecond(fn: () => unknown): number {
  const run = (ms: number) => {
    let calls = 0;
    let sink = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < 100_000; i++) if (fn()) sink++;
      calls += 100_000;
      elapsed = performance.now() - start;
    }
    if (sink === -1) console.log(sink); // keep the results observable
    return (calls / elapsed) * 1000;
  };
  run(100);
  return run(MEASURE_MS);
}

function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M calls/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k calls/s`;
  return `${perSecond.toFixed(0)} calls/s`;
}

function perCall(perSecond: number): string {
  const ns = 1e9 / perSecond;
  return ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms/call`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(1)} µs/call`
      : `${ns.toFixed(0)} ns/call`;
}

/** Two rows per cache: a warm manager (memory fast path) and a fresh manager per call (a CLI run). */
async function lookups(label: string, cache: CredentialCache, provider: Provider): Promise<BenchRow[]> {
  const warm = new TokenManager(provider, { cache });
  await warm.getCredential(); // acquires once and stores it in the cache
  const warmRate = await callsPerSecond(() => warm.getCredential());
  const coldRate = await callsPerSecond(() => new TokenManager(provider, { cache }).getCredential());
  return [
    {
      bench: NAME,
      case: `getCredential(), ${label} cache, warm manager`,
      result: rate(warmRate),
      note: perCall(warmRate),
    },
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
    const map = new Map([['key', { expiresAt: Date.now() + 3_600_000 }]]);
    const baseline = syncCallsPerSecond(() => {
      const e = map.get('key');
      return e !== undefined && e.expiresAt > Date.now();
    });
    rows.push({
      bench: NAME,
      case: 'bare Map.get + Date.now() (baseline)',
      result: rate(baseline),
      note: perCall(baseline),
    });
    rows.push(...(await lookups('memory', new MemoryCache(), provider)));
    const fileCache = new FileCache({ dir: join(dir, 'file') });
    rows.push(...(await lookups('file', fileCache, provider)));

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
