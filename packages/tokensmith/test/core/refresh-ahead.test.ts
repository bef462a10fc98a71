/**
 * Refresh ahead: inside the refresh window callers get the still-valid token at once and one
 * background renewal runs (single flight in the process and, through the cache lock, across
 * processes); only an expired token or `forceRefresh` makes callers wait. The token endpoint holds
 * every request until the test answers it, so "resolved before the endpoint answered" is a fact of
 * ordering, not of timing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { RedisCache } from 'tokensmith/internal/cache/redis.js';
import type { CredentialCache } from 'tokensmith/internal/core/cache.js';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { MemoryCache } from 'tokensmith/internal/core/memory-cache.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import { type RedisServer, startRedisServer } from '../../../../test/helpers/redis-server.js';
import { httpProvider } from '../cache/fixtures/http-provider.js';
import type { WorkerCache } from '../cache/fixtures/worker-config.js';
import { parseLine, spawnAheadWorker } from './fixtures/ahead-worker-process.js';
import { type GatedTokenServer, startGatedTokenServer } from './fixtures/gated-token-server.js';

const HOUR_MS = 3_600_000;
const KEY = 'ahead-key';
/** A broken refresh ahead makes callers wait for a held request: fail instead of hanging. */
const LIMIT = { timeout: 15_000 };

let server: GatedTokenServer;
let logs: string[];

before(() => {
  logs = [];
  configureLogging({ level: 'warn', json: false, sink: (line) => logs.push(line) });
});

/** A fresh token endpoint per test, so request counts start at zero. */
async function withServer(fn: () => Promise<void>): Promise<void> {
  server = await startGatedTokenServer();
  logs.length = 0;
  try {
    await fn();
  } finally {
    await server.close();
  }
}

function provider(extra: Partial<Provider> = {}): Provider {
  return { ...httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'ahead' }), ...extra };
}

/** A credential of one hour's lifetime that expires `expiresInMs` from now (real clock). */
function seeded(token: string, expiresInMs: number, refreshToken = `rt-${token}`): Credential {
  const now = Date.now();
  return new Credential({
    v: 1,
    kind: 'test',
    token,
    tokenType: 'Bearer',
    obtainedAt: now + expiresInMs - HOUR_MS,
    expiresAt: now + expiresInMs,
    refreshToken,
    clientId: 'ahead',
  });
}

/** Settles `promises` into a live count, to show that none has settled yet. */
function track(promises: Array<Promise<unknown>>): { settled: number } {
  const state = { settled: 0 };
  for (const p of promises) {
    p.then(
      () => state.settled++,
      () => state.settled++,
    );
  }
  return state;
}

describe('refresh ahead, in one process', () => {
  it(
    'a warm manager entering the window: 200 callers get the old token before the endpoint answers; one request',
    LIMIT,
    () =>
      withServer(async () => {
        let offset = 0;
        const m = new TokenManager(provider(), { key: KEY, now: () => Date.now() + offset });
        const acquiring = m.getCredential();
        (await server.nextRequest()).issue('tok-1', { refreshToken: 'rt-1' });
        assert.equal((await acquiring).token, 'tok-1');

        offset = HOUR_MS - 10_000; // 10 s before expiry: inside the 30 s window
        const calls = Array.from({ length: 200 }, () => m.getCredential());
        const tokens = (await Promise.all(calls)).map((c) => c.token);
        assert.deepEqual(new Set(tokens), new Set(['tok-1']), 'every caller got the still-valid token');
        assert.equal(m.lastSource, 'memory');

        const renewal = await server.nextRequest(); // held: the endpoint has not answered
        assert.equal(renewal.form.get('grant_type'), 'refresh_token');
        assert.equal(renewal.form.get('refresh_token'), 'rt-1');
        // More callers while the renewal is in flight: served at once too, and no second renewal.
        const more = await Promise.all(Array.from({ length: 200 }, () => m.getCredential()));
        assert.deepEqual(new Set(more.map((c) => c.token)), new Set(['tok-1']));
        assert.equal(server.requests, 2, 'the acquisition and one renewal');

        renewal.issue('tok-2', { refreshToken: 'rt-2', expiresIn: 7200 }); // fresh under the moved clock
        await m.idle();
        assert.equal((await m.getCredential()).token, 'tok-2');
        assert.equal(m.lastSource, 'memory');
        assert.deepEqual(server.grants, ['client_credentials', 'refresh_token']);
        assert.deepEqual(m.stats, { acquired: 1, refreshed: 1, refreshRejected: 0, cacheHits: 0 });
        assert.deepEqual(logs, []);
      }),
  );

  it(
    'a new manager finding a token inside the window in the cache returns it at once and renews behind',
    LIMIT,
    () =>
      withServer(async () => {
        const cache = new MemoryCache();
        await cache.set(KEY, seeded('old', 10_000).toRecord());
        const m = new TokenManager(provider(), { cache, key: KEY });
        const tokens = (await Promise.all(Array.from({ length: 50 }, () => m.getCredential()))).map(
          (c) => c.token,
        );
        assert.deepEqual(new Set(tokens), new Set(['old']));
        assert.equal(m.lastSource, 'cache');

        const renewal = await server.nextRequest();
        assert.equal(renewal.form.get('refresh_token'), 'rt-old');
        renewal.issue('new', { refreshToken: 'rt-new' });
        await m.idle();
        assert.equal((await m.getCredential()).token, 'new');
        assert.equal((await cache.get(KEY))?.token, 'new', 'the renewal is stored for other managers');
        assert.equal(server.requests, 1);
      }),
  );

  it('a failing background renewal is logged once, never thrown; the next call retries it', LIMIT, () =>
    withServer(async () => {
      const cache = new MemoryCache();
      await cache.set(KEY, seeded('old', 10_000).toRecord());
      const m = new TokenManager(provider(), { cache, key: KEY });
      assert.equal((await m.getCredential()).token, 'old');
      (await server.nextRequest()).answer(503, { error: 'temporarily_unavailable' });
      await m.idle();
      assert.equal(logs.length, 1, logs.join('\n'));
      assert.match(
        logs[0] ?? '',
        /^tokensmith warn \[manager\] background renewal failed; .*ERR_HTTP_STATUS/,
      );
      for (const secret of ['old', 'rt-old'])
        assert.ok(!logs[0]?.includes(secret), 'no secret in the log line');

      // Still valid: the next caller gets it at once and starts the retry, which succeeds.
      assert.equal((await m.getCredential()).token, 'old');
      const retry = await server.nextRequest();
      assert.equal(retry.form.get('refresh_token'), 'rt-old');
      retry.issue('new', { refreshToken: 'rt-new' });
      await m.idle();
      assert.equal((await m.getCredential()).token, 'new');
      assert.equal(server.requests, 2);
      assert.equal(logs.length, 1, 'the successful retry logs nothing');
    }),
  );

  it('an expired token makes callers wait for the one renewal', LIMIT, () =>
    withServer(async () => {
      const cache = new MemoryCache();
      await cache.set(KEY, seeded('old', -1_000).toRecord());
      const m = new TokenManager(provider(), { cache, key: KEY });
      const calls = Array.from({ length: 50 }, () => m.getCredential());
      const state = track(calls);
      const renewal = await server.nextRequest();
      await tick();
      assert.equal(state.settled, 0, 'nobody got the expired token');
      renewal.issue('new', { refreshToken: 'rt-new' });
      assert.deepEqual(new Set((await Promise.all(calls)).map((c) => c.token)), new Set(['new']));
      assert.equal(m.lastSource, 'refresh');
      assert.equal(server.requests, 1);
    }),
  );

  it('forceRefresh waits for its renewal, even with a fresh token', LIMIT, () =>
    withServer(async () => {
      const cache = new MemoryCache();
      await cache.set(KEY, seeded('fresh', HOUR_MS / 2).toRecord());
      const m = new TokenManager(provider(), { cache, key: KEY });
      assert.equal((await m.getCredential()).token, 'fresh');
      const forced = m.getCredential({ forceRefresh: true });
      const state = track([forced]);
      const renewal = await server.nextRequest();
      await tick();
      assert.equal(state.settled, 0);
      renewal.issue('renewed', { refreshToken: 'rt-renewed' });
      assert.equal((await forced).token, 'renewed');
      assert.equal(server.requests, 1);
    }),
  );

  it(
    'an interactive grant whose refresh is refused in the background is not logged in again behind the caller',
    LIMIT,
    () =>
      withServer(async () => {
        let offset = 0;
        const cache = new MemoryCache();
        const m = new TokenManager(provider({ interactive: true }), {
          cache,
          key: KEY,
          now: () => Date.now() + offset,
        });
        const first = m.getCredential();
        (await server.nextRequest()).issue('tok-1', { refreshToken: 'rt-1' });
        await first;

        offset = HOUR_MS - 10_000;
        assert.equal((await m.getCredential()).token, 'tok-1');
        (await server.nextRequest()).answer(400, { error: 'invalid_grant' });
        await m.idle();
        assert.equal(logs.length, 1, logs.join('\n'));
        assert.match(logs[0] ?? '', /background renewal failed; .*ERR_LOGIN_REQUIRED/);
        // The token is still valid: served until it expires, with no new request (no login behind the caller).
        assert.equal((await m.getCredential()).token, 'tok-1');
        await m.idle();
        assert.deepEqual(server.grants, ['client_credentials', 'refresh_token']);

        offset = HOUR_MS + 1_000; // expired: the caller waits and learns that a person must log in
        const expired = m.getCredential();
        (await server.nextRequest()).answer(400, { error: 'invalid_grant' });
        await assert.rejects(expired, (e: { code?: string }) => e.code === 'ERR_LOGIN_REQUIRED');
        assert.deepEqual(await cache.keys(), [], 'the dead session is forgotten');
        assert.deepEqual(server.grants, ['client_credentials', 'refresh_token', 'refresh_token']);
      }),
  );

  it('idle() resolves at once when nothing is in flight', LIMIT, () =>
    withServer(async () => {
      const m = new TokenManager(provider(), { key: KEY });
      await m.idle();
      assert.equal(server.requests, 0);
    }),
  );
});

describe('refresh ahead, across processes', () => {
  const PROCESSES = 4;
  let dir: string;
  let redis: RedisServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokensmith-ahead-'));
    redis = await startRedisServer();
  });
  after(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Seed `cache` with a token inside the window, start the workers, and check that each gets the old
   * token before the endpoint answers the one renewal, and the new one after.
   */
  async function inWindow(cache: CredentialCache, workerCache: WorkerCache, key: string): Promise<void> {
    await withServer(async () => {
      await cache.set(key, seeded('shared-old', 10_000).toRecord());
      const workers = Array.from({ length: PROCESSES }, () =>
        spawnAheadWorker({ cache: workerCache, key, tokenEndpoint: server.tokenEndpoint }),
      );
      try {
        await Promise.all(workers.map((w) => w.waitFor('ready')));
        for (const w of workers) w.child.stdin?.end('go\n');
        const firsts = (await Promise.all(workers.map((w) => w.waitFor('first ')))).map(parseLine);
        assert.deepEqual(
          firsts.map((f) => f.token),
          Array.from({ length: PROCESSES }, () => 'shared-old'),
          'every process got the still-valid token before the endpoint answered',
        );
        const renewal = await server.nextRequest();
        assert.equal(renewal.form.get('refresh_token'), 'rt-shared-old');
        // Any further request would be a second renewal: answer it rather than hang, and count it.
        server.autoAnswer((r) => r.issue(`extra-${server.requests}`));
        renewal.issue('shared-new', { refreshToken: 'rt-shared-new' });
        const afters = (await Promise.all(workers.map((w) => w.waitFor('after ')))).map(parseLine);
        assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), Array(PROCESSES).fill(0));
        assert.equal(server.requests, 1, `one token request for ${PROCESSES} processes`);
        assert.deepEqual(
          afters.map((a) => a.token),
          Array.from({ length: PROCESSES }, () => 'shared-new'),
        );
        assert.deepEqual(
          afters.map((a) => a.stats.refreshed).sort(),
          [...Array.from({ length: PROCESSES - 1 }, () => 0), 1],
          'one process renewed, the others read its result',
        );
        assert.equal((await cache.get(key))?.token, 'shared-new');
      } finally {
        for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      }
    });
  }

  it(
    `${PROCESSES} processes holding a token inside the window (file cache): one token request`,
    LIMIT,
    async () => {
      const cacheDir = join(dir, 'file');
      await inWindow(new FileCache({ dir: cacheDir }), { type: 'file', dir: cacheDir }, 'ahead:file');
    },
  );

  it(
    `${PROCESSES} processes holding a token inside the window (Redis cache): one token request`,
    LIMIT,
    async () => {
      const cache = new RedisCache({ url: redis.url, prefix: 'ahead:' });
      try {
        await inWindow(cache, { type: 'redis', url: redis.url, prefix: 'ahead:' }, 'ahead:redis');
      } finally {
        await cache.close();
      }
    },
  );
});
