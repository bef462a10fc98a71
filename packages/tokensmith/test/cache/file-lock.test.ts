import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { acquireFileLock } from 'tokensmith/internal/cache/file-lock.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { httpProvider } from './fixtures/http-provider.js';
import { captureLogs } from './fixtures/logs.js';
import { parseResult, spawnWorker } from './fixtures/spawn.js';
import { startTokenServer, type TokenServer } from './fixtures/token-server.js';

const logs = captureLogs();
let root: string;
let server: TokenServer;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tokensmith-lock-'));
  server = await startTokenServer({ delayMs: 5 });
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  logs.length = 0;
});

const newDir = () => join(root, randomBytes(4).toString('hex'));
/** Path of the lock file FileCache uses for `key` (its entry path with `.lock` for `.json`). */
const lockFor = (cache: FileCache, key: string) => cache.fileFor(key).replace(/\.json$/, '.lock');
const brokenLines = () => logs.filter((l) => l.includes('broke a stale cache lock'));

describe('FileCache lock', () => {
  it('lets one holder at a time in, across cache instances (as across processes)', async () => {
    const dir = newDir();
    const caches = [new FileCache({ dir }), new FileCache({ dir }), new FileCache({ dir })];
    let active = 0;
    let most = 0;
    let entered = 0;
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        caches[i % caches.length]?.withLock('shared', async () => {
          active++;
          entered++;
          most = Math.max(most, active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
        }),
      ),
    );
    assert.equal(entered, 24);
    assert.equal(most, 1);
    assert.deepEqual(brokenLines(), [], 'no lock of a live holder was broken');
  });

  it('a holder killed with SIGKILL does not block the next process: its lock is detected stale and broken', async () => {
    const dir = newDir();
    const key = 'killed-holder';
    const cache = { type: 'file' as const, dir, staleLockMs: 600_000, lockWaitMs: 120_000 };
    const holder = spawnWorker({ mode: 'hold', cache, key });
    await holder.waitFor('locked');
    holder.child.kill('SIGKILL');
    await holder.exited;
    const files = await readdir(dir);
    assert.equal(files.filter((f) => f.endsWith('.lock')).length, 1, 'the dead holder left its lock file');

    // staleLockMs is 10 minutes: only the dead-pid check can let the next process through.
    const next = spawnWorker({ mode: 'get', cache, key, tokenEndpoint: server.tokenEndpoint, clientId: 'c' });
    await next.waitFor('ready');
    next.child.stdin?.end('go\n');
    const result = parseResult(await next.waitFor('result '));
    await next.exited;
    assert.ok(server.isActive(result.token), 'the next process got a working token');
    const warnings = next
      .stderr()
      .split('\n')
      .filter((l) => l.includes('broke a stale cache lock'));
    assert.equal(warnings.length, 1, next.stderr());
    assert.match(warnings[0] ?? '', /is gone/);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.lock')),
      [],
      'the next process released its own lock',
    );
  });

  it('breaks a lock untouched for longer than staleLockMs (holder on another host, or died before writing)', async () => {
    const dir = newDir();
    const cache = new FileCache({ dir, staleLockMs: 60_000, lockWaitMs: 60_000 });
    await cache.keys(); // creates the folder
    const old = new Date(Date.now() - 3_600_000);
    const foreign = JSON.stringify({ pid: 1, hostname: 'another-host', createdAt: 0, nonce: 'x' });
    for (const [key, content] of [
      ['foreign', foreign],
      ['empty', ''],
    ] as const) {
      await writeFile(lockFor(cache, key), content);
      await utimes(lockFor(cache, key), old, old);
      assert.equal(await cache.withLock(key, async () => 'entered'), 'entered');
    }
    assert.equal(cache.stats.locksBroken, 2);
    assert.equal(brokenLines().filter((l) => l.includes('untouched')).length, 2);
  });

  it('breaks a lock left by an earlier process that had our pid (pid reuse after a restart)', async () => {
    const dir = newDir();
    const cache = new FileCache({ dir, staleLockMs: 600_000 });
    await cache.keys();
    const owner = { pid: process.pid, hostname: hostname(), createdAt: Date.now(), nonce: 'earlier-life' };
    await writeFile(lockFor(cache, 'reuse'), JSON.stringify(owner));
    assert.equal(await cache.withLock('reuse', async () => 'entered'), 'entered');
    assert.equal(cache.stats.locksBroken, 1);
  });

  it('waits for a live holder and gives up with ERR_LOCK_TIMEOUT after lockWaitMs', async () => {
    const dir = newDir();
    const cache = new FileCache({ dir, staleLockMs: 600_000, lockWaitMs: 150 });
    await cache.keys();
    const live = { pid: 1, hostname: 'another-host', createdAt: Date.now(), nonce: 'live' };
    await writeFile(lockFor(cache, 'busy'), JSON.stringify(live));
    let ran = false;
    await assert.rejects(
      cache.withLock('busy', async () => {
        ran = true;
      }),
      (e: TokensmithError) => e.code === 'ERR_LOCK_TIMEOUT' && e.message.includes('another-host'),
    );
    assert.equal(ran, false);
    assert.equal(cache.stats.locksBroken, 0);
    assert.equal(
      JSON.parse(await readFile(lockFor(cache, 'busy'), 'utf8')).nonce,
      'live',
      'the lock is untouched',
    );
  });

  it('release leaves alone a lock that someone else took over', async () => {
    const dir = newDir();
    await new FileCache({ dir }).keys();
    const path = join(dir, 'manual.lock');
    const lock = await acquireFileLock(path, { staleLockMs: 60_000, lockWaitMs: 1_000 });
    const usurper = JSON.stringify({ pid: 1, hostname: 'elsewhere', createdAt: Date.now(), nonce: 'theirs' });
    await writeFile(path, usurper);
    await lock.release();
    assert.equal(await readFile(path, 'utf8'), usurper);
  });

  it('re-reads the entry after taking the lock: a waiter adopts what the holder wrote', async () => {
    const dir = newDir();
    const key = 'reread';
    const provider = () =>
      httpProvider({ tokenEndpoint: server.tokenEndpoint, clientId: 'c', cacheKey: key });
    const first = new TokenManager(provider(), { cache: new FileCache({ dir }) });
    const second = new TokenManager(provider(), { cache: new FileCache({ dir }) });
    server.resetCounts();
    const [a, b] = await Promise.all([first.getCredential(), second.getCredential()]);
    assert.equal(a.token, b.token);
    assert.equal(server.counts.tokenRequests, 1);
    assert.deepEqual([first.lastSource, second.lastSource].sort(), ['acquire', 'cache']);
  });
});
