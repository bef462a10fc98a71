import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { CredentialCache } from '../core/cache.js';
import type { CredentialRecord } from '../core/credential.js';
import { isTokensmithError, TokensmithError } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { getLogger } from '../core/log.js';
import { loadOptional } from '../core/optional-dependency.js';
import { registerSecret } from '../core/redact.js';
import { checkEncryptionOption, decodeEntry, encodeEntry, resolveEncryptionKey } from './encryption.js';

const log = getLogger('cache');

/** A Redis node or sentinel address. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Redis Sentinel: the sentinels to ask and the name of the master they watch. */
export interface RedisSentinelOptions {
  /** Some of the sentinels (ioredis asks them in turn for the current master). */
  sentinels: RedisNodeAddress[];
  /** The master group name of `sentinel monitor <name> ...`. */
  name: string;
  /** Username and password of the Redis master and replicas (not of the sentinels). */
  username?: string;
  password?: string;
  /** Password of the sentinels themselves, when they require one. */
  sentinelPassword?: string;
  /** Database number on the master (default 0). */
  db?: number;
}

/**
 * Options for {@link RedisCache}: exactly one of `url` (one server, or the `redis+sentinel://` and
 * `redis+cluster://` forms), `sentinel` or `cluster`.
 */
export interface RedisCacheOptions {
  /**
   * `redis://[user:password@]host[:port][/db]` or `rediss://` for TLS; for Sentinel
   * `redis+sentinel://[user:password@]host:port[,host:port...]/<master name>[/db]`; for Cluster
   * `redis+cluster://[user:password@]host:port[,host:port...]`.
   */
  url?: string;
  /** Redis Sentinel (ioredis' `sentinels` and `name` options): the cache follows the current master. */
  sentinel?: RedisSentinelOptions;
  /**
   * Redis Cluster: some of its nodes (the rest are discovered), or an ioredis `Cluster` of your own
   * (then `close()` leaves it open: it is yours).
   */
  cluster?: RedisNodeAddress[] | Cluster;
  /**
   * Prefix of every key this cache writes (default `tokensmith:`); without `{` or `}`, which would
   * change the Cluster hash slot of the keys.
   */
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
   * Sentinel and Cluster only: how long an operation keeps retrying while the master it needs is
   * gone (a failover in progress) before it fails like an outage (default 15 s). One server has no
   * failover, so there it fails at once.
   */
  failoverWaitMs?: number;
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

/** How the cache reaches Redis: one server, Sentinel or Cluster. */
type Target =
  | { mode: 'single'; url: URL }
  | { mode: 'sentinel'; sentinel: RedisSentinelOptions }
  | { mode: 'cluster'; nodes: RedisNodeAddress[]; username?: string; password?: string }
  | { mode: 'cluster'; client: Cluster };

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
 * Credentials in Redis (one server, Sentinel or Cluster), shared by many processes on many hosts.
 * Entries expire with their credential; the lock is `SET NX PX` with a random token, kept alive
 * while held and released only by its owner (compare-and-delete in Lua), so one process in the
 * fleet renews at a time. An entry and its lock carry the same hash tag, so in a Cluster they live
 * on one slot (one master).
 */
export class RedisCache implements CredentialCache {
  readonly kind = 'redis';
  /**
   * Prefix of every key this cache writes: entries are `<prefix>entry:{<key>}`, locks
   * `<prefix>lock:{<key>}` (see {@link RedisCache.entryKey}).
   */
  readonly prefix: string;
  /** Counters of lock waits and fallbacks. */
  readonly stats: RedisCacheStats = { lockWaits: 0, fallbacks: 0 };
  readonly #target: Target;
  readonly #failoverWaitMs: number;
  readonly #lockTtlMs: number;
  readonly #lockWaitMs: number;
  readonly #fallback: boolean;
  readonly #commandTimeoutMs: number;
  readonly #encryption: 'env' | 'none' | Buffer | undefined;
  readonly #mutex = new KeyedMutex();
  #client: Promise<Redis | Cluster> | undefined;
  #key: Promise<Buffer | undefined> | undefined;
  #down = false;

  constructor(options: RedisCacheOptions) {
    this.#target = target(options);
    this.prefix = options.prefix ?? 'tokensmith:';
    if (/[{}]/.test(this.prefix)) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'redis cache prefix must not contain { or }');
    }
    this.#failoverWaitMs =
      this.#target.mode === 'single' ? 0 : positive(options.failoverWaitMs, 15_000, 'failoverWaitMs');
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
    const t = this.#target;
    if (t.mode === 'single') return `${t.url.protocol}//${t.url.host}${t.url.pathname}`;
    if (t.mode === 'sentinel') {
      const db = t.sentinel.db ? `/${t.sentinel.db}` : '';
      return `redis+sentinel://${hostList(t.sentinel.sentinels)}/${t.sentinel.name}${db}`;
    }
    if ('client' in t) return 'redis+cluster://(your Cluster)';
    return `redis+cluster://${hostList(t.nodes)}`;
  }

  /**
   * The Redis key of the entry for `key`: `<prefix>entry:{<key>}`, with `%` and `}` in `key`
   * percent-encoded so that the hash tag is always all of `key`, the same as in {@link lockKey}.
   */
  entryKey(key: string): string {
    return `${this.prefix}entry:{${hashTag(key)}}`;
  }

  /** The Redis key of the lock for `key`: `<prefix>lock:{<key>}`, on the slot of its entry. */
  lockKey(key: string): string {
    return `${this.prefix}lock:{${hashTag(key)}}`;
  }

  async get(key: string): Promise<CredentialRecord | undefined> {
    const name = this.entryKey(key);
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
    const name = this.entryKey(key);
    const ttl = entryTtlMs(record);
    if (ttl !== undefined && ttl <= 0) return this.delete(key);
    const text = encodeEntry(key, record, await this.#encryptionKey(), name);
    await this.#run('write', undefined, (r) =>
      ttl === undefined ? r.set(name, text) : r.set(name, text, 'PX', Math.ceil(ttl)),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', undefined, (r) => r.del(this.entryKey(key)));
  }

  async keys(): Promise<string[]> {
    const start = `${this.prefix}entry:{`;
    const pattern = `${escapeGlob(start)}*}`;
    return this.#run('list', [] as string[], async (r) => {
      const found: string[] = [];
      // A Cluster spreads the keys over its masters: each is scanned. It knows them only once
      // connected, and keys() may be the first call of a new cache.
      if (isCluster(r) && r.status !== 'ready') await r.ping();
      for (const node of isCluster(r) ? r.nodes('master') : [r]) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
          cursor = next;
          for (const k of batch) found.push(unHashTag(k.slice(start.length, -1)));
        } while (cursor !== '0');
      }
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
    if (this.#target.mode === 'cluster' && 'client' in this.#target) return; // the caller's own Cluster
    if (client.status === 'ready') await client.quit().catch(() => {});
    // Also after QUIT: with Sentinel, only disconnect() closes the connections to the sentinels
    // (failover detection), which would keep the process alive.
    client.disconnect();
  }

  async #withRedisLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = this.lockKey(key);
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

  async #acquire(r: Redis | Cluster, lockKey: string, token: string): Promise<boolean> {
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
  async #run<T>(what: string, fallback: T, op: (r: Redis | Cluster) => Promise<T>): Promise<T> {
    try {
      const result = await this.#attempt(op);
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

  /**
   * `op` on the connected client. With Sentinel or Cluster, connection trouble is retried until
   * `failoverWaitMs` has passed: a failover replaces the master within seconds, and a write that
   * waits for it keeps the credential just obtained (with rotation, the only valid one).
   */
  async #attempt<T>(op: (r: Redis | Cluster) => Promise<T>): Promise<T> {
    // Once a wait has run out (an outage, not a failover), later operations fail at once until
    // Redis answers again, instead of each waiting as long.
    const deadline = Date.now() + (this.#down ? 0 : this.#failoverWaitMs);
    for (;;) {
      try {
        const client = await this.#connect();
        // During an outage, fail at once instead of waiting for ioredis' next reconnect attempt;
        // it keeps reconnecting in the background and we use it again once it is ready.
        if (this.#down && client.status !== 'ready') throw new Error(`connection is ${client.status}`);
        return await op(client);
      } catch (err) {
        if (isTokensmithError(err) || !duringFailover(err) || Date.now() >= deadline) throw err;
        log.debug('redis cache operation failed; retrying during failover', {
          reason: err instanceof Error ? err.message : String(err),
        });
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  #connect(): Promise<Redis | Cluster> {
    this.#client ??= (async () => {
      const t = this.#target;
      if (t.mode === 'cluster' && 'client' in t) return t.client;
      const { Redis, Cluster } = await loadOptional('ioredis', 'RedisCache', () => import('ioredis'));
      const common = {
        lazyConnect: true,
        // Fail commands quickly while Redis is down instead of queueing them for ever.
        maxRetriesPerRequest: 1,
        connectTimeout: this.#commandTimeoutMs,
        commandTimeout: this.#commandTimeoutMs,
        retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
      };
      const client =
        t.mode === 'single'
          ? new Redis(t.url.href, common)
          : t.mode === 'sentinel'
            ? new Redis({
                ...common,
                sentinels: t.sentinel.sentinels,
                name: t.sentinel.name,
                username: t.sentinel.username,
                password: t.sentinel.password,
                sentinelPassword: t.sentinel.sentinelPassword,
                db: t.sentinel.db,
                // Reconnect to the new master as soon as a sentinel announces it.
                failoverDetector: true,
                sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
              })
            : new Cluster(t.nodes, {
                lazyConnect: true,
                redisOptions: { ...common, username: t.username, password: t.password },
                clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
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
}

/** Which Redis the options name; exactly one of `url`, `sentinel` and `cluster`. */
function target(options: RedisCacheOptions): Target {
  const given = [options.url, options.sentinel, options.cluster].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'redis cache needs exactly one of url, sentinel and cluster',
    );
  }
  if (options.sentinel) {
    const s = options.sentinel;
    if (!s.name || !Array.isArray(s.sentinels) || s.sentinels.length === 0) {
      throw new TokensmithError(
        'ERR_CONFIG_INVALID',
        'redis sentinel needs a master name and at least one sentinel',
      );
    }
    for (const secret of [s.password, s.sentinelPassword]) if (secret) registerPassword(secret);
    return { mode: 'sentinel', sentinel: s };
  }
  if (options.cluster) {
    if (!Array.isArray(options.cluster)) return { mode: 'cluster', client: options.cluster };
    if (options.cluster.length === 0) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'redis cluster needs at least one node');
    }
    return { mode: 'cluster', nodes: options.cluster };
  }
  return parseRedisUrl(options.url as string);
}

function parseRedisUrl(text: string): Target {
  const multi = /^(redis\+(?:sentinel|cluster)):\/\/(?:([^@/]*)@)?([^/]+)(?:\/(.*))?$/.exec(text);
  if (multi) return parseMultiHostUrl(multi);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'redis cache url is not a valid URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'redis cache url must start with redis://, rediss://, redis+sentinel:// or redis+cluster://',
    );
  }
  // Only passwords that percent-encoding leaves alone: core/redact's registerSecret recurses without
  // end on the others. ioredis errors do not quote the password, and it is never logged.
  for (const secret of new Set([url.password, safeDecode(url.password)])) {
    if (secret && encodeURIComponent(secret) === secret) registerSecret(secret);
  }
  return { mode: 'single', url };
}

/** `redis+sentinel://[user:pw@]h:p,h:p/<name>[/db]` and `redis+cluster://[user:pw@]h:p,h:p`. */
function parseMultiHostUrl([, scheme, userInfo, hosts, path]: RegExpExecArray): Target {
  const invalid = (why: string) => new TokensmithError('ERR_CONFIG_INVALID', `redis cache url: ${why}`);
  const nodes = (hosts as string).split(',').map((part) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(part);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65_535) throw invalid('each host needs a port (host:port,host:port)');
    return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    username = safeDecode(colon < 0 ? userInfo : userInfo.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : safeDecode(userInfo.slice(colon + 1)) || undefined;
    if (password) registerPassword(password);
  }
  if (scheme === 'redis+cluster') {
    if (path) throw invalid('redis+cluster:// takes no path (a cluster has only database 0)');
    return { mode: 'cluster', nodes, username, password };
  }
  const [name, db, ...rest] = (path ?? '').split('/');
  if (!name || rest.length > 0 || (db !== undefined && !/^\d+$/.test(db))) {
    throw invalid('redis+sentinel:// needs the master name as its path: /<name>[/<db>]');
  }
  return {
    mode: 'sentinel',
    sentinel: {
      sentinels: nodes,
      name: safeDecode(name),
      username,
      password,
      db: db ? Number(db) : undefined,
    },
  };
}

/** Keep a password out of logs (see parseRedisUrl for why only some are registered). */
function registerPassword(secret: string): void {
  if (encodeURIComponent(secret) === secret) registerSecret(secret);
}

/** `host:port,host:port` ([ ] around IPv6 addresses), as the multi-host URLs write it. */
function hostList(nodes: readonly RedisNodeAddress[]): string {
  return nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/**
 * Whether `err` may be a failover in progress (worth retrying): connection trouble, or a reply of a
 * server that is not (yet) the writable master. Other replies (a wrong command) fail at once.
 */
function duringFailover(err: unknown): boolean {
  if ((err as Error | undefined)?.name !== 'ReplyError') return true;
  return /^(READONLY|CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN)\b/.test((err as Error).message);
}

/** `key` as the content of a hash tag: it may not contain `}`, and `%` is escaped so this reverses. */
function hashTag(key: string): string {
  return key.replace(/[%}]/g, (c) => (c === '%' ? '%25' : '%7D'));
}

function unHashTag(tag: string): string {
  return tag.replace(/%7D|%25/g, (c) => (c === '%25' ? '%' : '}'));
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
