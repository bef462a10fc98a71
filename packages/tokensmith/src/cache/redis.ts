import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CredentialCache } from '../core/cache.js';
import type { CredentialRecord } from '../core/credential.js';
import { isTokensmithError, TokensmithError } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { getLogger } from '../core/log.js';
import { loadOptional } from '../core/optional-dependency.js';
import { registerSecret } from '../core/redact.js';
import { checkEncryptionOption, decodeEntry, encodeEntry, resolveEncryptionKey } from './encryption.js';

const log = getLogger('cache');

/** Options for {@link RedisCache}. */
export interface RedisCacheOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://` for TLS. */
  url: string;
  /** Prefix of every key this cache writes (default `tokensmith:`). */
  prefix?: string;
  /** Lifetime of a lock whose holder stopped renewing it (crashed host), default 30 s. */
  lockTtlMs?: number;
  /** Longest wait for the lock before `ERR_LOCK_TIMEOUT` (default 60 s). */
  lockWaitMs?: number;
  /**
   * When Redis cannot be reached: false (default) fails with `ERR_CACHE_UNAVAILABLE`; true logs a
   * warning and carries on without the shared cache (reads miss, writes are dropped, the lock is
   * in-process only), so each process obtains its own credential.
   */
  fallbackOnError?: boolean;
  /** Time limit of one Redis command (default 5 s). */
  commandTimeoutMs?: number;
  /**
   * Encrypt entries with AES-256-GCM: a 32-byte Buffer or `'env'` for `TOKENSMITH_CACHE_KEY`
   * (default: that variable when set, else plaintext). Every host of the fleet needs the same key.
   */
  encryptionKey?: 'env' | 'none' | Buffer;
}

/** Counters for tests, `status` and benchmarks. */
export interface RedisCacheStats {
  /** Times the lock was busy and this process waited for it. */
  lockWaits: number;
  /** Operations that failed and were skipped because `fallbackOnError` is on. */
  fallbacks: number;
}

/** Release only when the lock still holds our token: an expired lock may belong to someone else now. */
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
/** Extend our lock while the renewal runs, again only if it is still ours. */
const EXTEND =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

/** Entries with a refresh token of unknown lifetime are kept this long. */
const UNKNOWN_REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
/** Entries without a refresh token outlive their expiry by this much (for `status`). */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;
const MAX_BACKOFF_MS = 100;

/**
 * How long Redis should keep `record` (ms), or undefined for no expiry, or ≤ 0 when it is useless
 * already: until the refresh token expires when there is one, else the access token's expiry plus
 * a margin.
 */
export function entryTtlMs(record: CredentialRecord, now: number = Date.now()): number | undefined {
  if (record.refreshToken) {
    return record.refreshExpiresAt !== undefined ? record.refreshExpiresAt - now : UNKNOWN_REFRESH_TTL_MS;
  }
  return record.expiresAt !== undefined ? record.expiresAt + EXPIRY_MARGIN_MS - now : undefined;
}

/**
 * Credentials in Redis, shared by many processes on many hosts. Entries expire with their
 * credential; the lock is `SET NX PX` with a random token, kept alive while held and released only
 * by its owner (compare-and-delete in Lua), so one process in the fleet renews at a time.
 */
export class RedisCache implements CredentialCache {
  readonly kind = 'redis';
  /** Prefix of every key this cache writes: entries are `<prefix>entry:<key>`, locks `<prefix>lock:<key>`. */
  readonly prefix: string;
  /** Counters of lock waits and fallbacks. */
  readonly stats: RedisCacheStats = { lockWaits: 0, fallbacks: 0 };
  readonly #url: URL;
  readonly #lockTtlMs: number;
  readonly #lockWaitMs: number;
  readonly #fallback: boolean;
  readonly #commandTimeoutMs: number;
  readonly #encryption: 'env' | 'none' | Buffer | undefined;
  readonly #mutex = new KeyedMutex();
  #client: Promise<Redis> | undefined;
  #key: Promise<Buffer | undefined> | undefined;
  #down = false;

  constructor(options: RedisCacheOptions) {
    this.#url = parseRedisUrl(options.url);
    this.prefix = options.prefix ?? 'tokensmith:';
    this.#lockTtlMs = positive(options.lockTtlMs, 30_000, 'lockTtlMs');
    this.#lockWaitMs = positive(options.lockWaitMs, 60_000, 'lockWaitMs');
    this.#commandTimeoutMs = positive(options.commandTimeoutMs, 5_000, 'commandTimeoutMs');
    this.#fallback = options.fallbackOnError ?? false;
    checkEncryptionOption(options.encryptionKey);
    this.#encryption = Buffer.isBuffer(options.encryptionKey)
      ? Buffer.from(options.encryptionKey)
      : options.encryptionKey;
  }

  /** Where this cache points, without credentials (for `status` and messages). */
  get endpoint(): string {
    return `${this.#url.protocol}//${this.#url.host}${this.#url.pathname}`;
  }

  async get(key: string): Promise<CredentialRecord | undefined> {
    const name = this.#entryKey(key);
    const text = await this.#run('read', undefined, (r) => r.get(name));
    if (text == null) return undefined;
    try {
      return decodeEntry(text, key, await this.#encryptionKey(), name).record;
    } catch (err) {
      if (!isTokensmithError(err, 'ERR_CACHE_CORRUPT')) throw err;
      log.warn('ignoring a corrupt redis entry; it will be replaced', {
        code: err.code,
        reason: err.message,
      });
      return undefined;
    }
  }

  async set(key: string, record: CredentialRecord): Promise<void> {
    const name = this.#entryKey(key);
    const ttl = entryTtlMs(record);
    if (ttl !== undefined && ttl <= 0) return this.delete(key);
    const text = encodeEntry(key, record, await this.#encryptionKey(), name);
    await this.#run('write', undefined, (r) =>
      ttl === undefined ? r.set(name, text) : r.set(name, text, 'PX', Math.ceil(ttl)),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', undefined, (r) => r.del(this.#entryKey(key)));
  }

  async keys(): Promise<string[]> {
    const start = `${this.prefix}entry:`;
    const pattern = `${escapeGlob(start)}*`;
    return this.#run('list', [] as string[], async (r) => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
        cursor = next;
        for (const k of batch) found.push(k.slice(start.length));
      } while (cursor !== '0');
      return [...new Set(found)].sort();
    });
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    // In-process callers queue here, so only one per process competes in Redis.
    return this.#mutex.run(key, () => this.#withRedisLock(key, fn));
  }

  /** Close the connection. */
  async close(): Promise<void> {
    const pending = this.#client;
    this.#client = undefined;
    if (!pending) return;
    const client = await pending.catch(() => undefined);
    if (!client) return;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  async #withRedisLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = `${this.prefix}lock:${key}`;
    const token = randomBytes(16).toString('hex');
    const acquired = await this.#run('lock', false, (r) => this.#acquire(r, lockKey, token));
    if (!acquired) return fn(); // fallback mode: Redis is down, the in-process mutex is all we have
    const timer = setInterval(
      () => {
        void this.#client
          ?.then((r) => r.eval(EXTEND, 1, lockKey, token, String(this.#lockTtlMs)))
          .catch(() => {});
      },
      Math.max(50, Math.floor(this.#lockTtlMs / 3)),
    );
    timer.unref();
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      // Best effort: a lock we fail to release expires after lockTtlMs, and fn's result must not be lost.
      await this.#client
        ?.then((r) => r.eval(RELEASE, 1, lockKey, token))
        .catch((err: unknown) =>
          log.warn('could not release the redis cache lock; it expires by itself', {
            reason: err instanceof Error ? err.message : String(err),
          }),
        );
    }
  }

  async #acquire(r: Redis, lockKey: string, token: string): Promise<boolean> {
    const deadline = Date.now() + this.#lockWaitMs;
    let backoff = 2;
    let waited = false;
    for (;;) {
      if ((await r.set(lockKey, token, 'PX', this.#lockTtlMs, 'NX')) === 'OK') return true;
      if (!waited) {
        waited = true;
        this.stats.lockWaits++;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new TokensmithError(
          'ERR_LOCK_TIMEOUT',
          `waited ${this.#lockWaitMs} ms for the redis cache lock`,
          {
            source: 'redis cache',
          },
        );
      }
      await new Promise((res) => setTimeout(res, Math.min(left, backoff / 2 + Math.random() * backoff)));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** Run one operation; turn connection trouble into `ERR_CACHE_UNAVAILABLE` or, in fallback mode, `fallback`. */
  async #run<T>(what: string, fallback: T, op: (r: Redis) => Promise<T>): Promise<T> {
    try {
      const client = await this.#connect();
      // During an outage, fail at once instead of waiting for ioredis' next reconnect attempt;
      // it keeps reconnecting in the background and we use it again once it is ready.
      if (this.#down && client.status !== 'ready') throw new Error(`connection is ${client.status}`);
      const result = await op(client);
      if (this.#down) {
        this.#down = false;
        log.info('redis cache is reachable again', { endpoint: this.endpoint });
      }
      return result;
    } catch (err) {
      if (isTokensmithError(err)) throw err;
      const alreadyDown = this.#down;
      this.#down = true;
      if (!this.#fallback) {
        throw new TokensmithError(
          'ERR_CACHE_UNAVAILABLE',
          `redis cache at ${this.endpoint} is unavailable (${what} failed)`,
          { cause: err, source: 'redis cache' },
        );
      }
      this.stats.fallbacks++;
      // One warning per outage, not one per operation.
      log[alreadyDown ? 'debug' : 'warn']('redis cache unavailable; continuing without the shared cache', {
        code: 'ERR_CACHE_UNAVAILABLE',
        endpoint: this.endpoint,
        operation: what,
        reason: err instanceof Error ? err.message : String(err),
      });
      return fallback;
    }
  }

  #connect(): Promise<Redis> {
    this.#client ??= (async () => {
      const { Redis } = await loadOptional('ioredis', 'RedisCache', () => import('ioredis'));
      const client = new Redis(this.#url.href, {
        lazyConnect: true,
        // Fail commands quickly while Redis is down instead of queueing them for ever.
        maxRetriesPerRequest: 1,
        connectTimeout: this.#commandTimeoutMs,
        commandTimeout: this.#commandTimeoutMs,
        retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      });
      // Without a listener ioredis prints every connection error to the console.
      client.on('error', (err: Error) => log.debug('redis connection error', { reason: err.message }));
      return client;
    })();
    return this.#client;
  }

  #encryptionKey(): Promise<Buffer | undefined> {
    this.#key ??= resolveEncryptionKey(this.#encryption);
    return this.#key;
  }

  #entryKey(key: string): string {
    return `${this.prefix}entry:${key}`;
  }
}

function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'redis cache url is not a valid URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'redis cache url must start with redis:// or rediss://');
  }
  // Only passwords that percent-encoding leaves alone: core/redact's registerSecret recurses without
  // end on the others. ioredis errors do not quote the password, and it is never logged.
  for (const secret of new Set([url.password, safeDecode(url.password)])) {
    if (secret && encodeURIComponent(secret) === secret) registerSecret(secret);
  }
  return url;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TokensmithError('ERR_CONFIG_INVALID', `${name} must be a positive number of milliseconds`);
  }
  return value;
}
