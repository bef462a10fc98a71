import { MemoryCache } from '../cache/memory.js';
import type { CredentialCache } from './cache.js';
import { Credential } from './credential.js';
import { isTokensmithError, TokensmithError } from './errors.js';
import { getLogger } from './log.js';
import type { AcquireContext, Provider } from './provider.js';

const log = getLogger('manager');

/** Options for {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Where credentials live (default: a new {@link MemoryCache}). */
  cache?: CredentialCache;
  /** Cache key (default: the provider's `cacheKey`). Profiles prefix it with their name. */
  key?: string;
  /** Renew this many seconds before expiry (default 30). Capped at half the token's lifetime. */
  refreshWindowSeconds?: number;
  /** Clock, epoch ms (tests inject one). */
  now?: () => number;
}

/** Options for {@link TokenManager.getCredential}. */
export interface GetCredentialOptions {
  /** Renew even if the current credential looks valid (after the API answered 401). */
  forceRefresh?: boolean;
  /**
   * With `forceRefresh`: the token the API refused. When the current credential is already another
   * (fresh) token, a concurrent caller has renewed it and no second renewal starts: N requests that
   * all got a 401 cause one renewal, however their answers interleave.
   */
  rejectedToken?: string;
  /** Aborts a renewal this call started. */
  signal?: AbortSignal;
}

/** How the last credential was obtained, for `status` and tests. */
export type CredentialSource = 'memory' | 'cache' | 'refresh' | 'acquire';

/** Counters of what the manager did; handy for tests, the demo and benchmarks. */
export interface ManagerStats {
  acquired: number;
  refreshed: number;
  /** Refreshes the server refused, followed by a re-acquire or ERR_LOGIN_REQUIRED. */
  refreshRejected: number;
  /** Reads that found a valid credential written by someone else (another process, host or manager). */
  cacheHits: number;
}

/**
 * The one place with caching and renewal: returns a credential while it is fresh, otherwise
 * refreshes or re-acquires it, with exactly one renewal in flight per manager and one per cache
 * key across processes (through the cache's lock, re-reading the cache after taking it).
 */
export class TokenManager {
  readonly provider: Provider;
  readonly cache: CredentialCache;
  readonly key: string;
  readonly stats: ManagerStats = { acquired: 0, refreshed: 0, refreshRejected: 0, cacheHits: 0 };
  #lastSource: CredentialSource | undefined;
  readonly #windowMs: number;
  readonly #now: () => number;
  #current: Credential | undefined;
  #inflight: Promise<Credential> | undefined;

  constructor(provider: Provider, options: TokenManagerOptions = {}) {
    this.provider = provider;
    this.cache = options.cache ?? new MemoryCache();
    this.key = options.key ?? provider.cacheKey;
    const window = options.refreshWindowSeconds ?? 30;
    if (!Number.isFinite(window) || window < 0) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'refreshWindowSeconds must be a number ≥ 0');
    }
    this.#windowMs = window * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** How the credential last returned was obtained. */
  get lastSource(): CredentialSource | undefined {
    return this.#lastSource;
  }

  /** A valid credential: cached while fresh, renewed when not. Concurrent callers share one renewal. */
  async getCredential(options: GetCredentialOptions = {}): Promise<Credential> {
    const current = this.#current;
    const renewedSince =
      options.rejectedToken !== undefined && current !== undefined && current.token !== options.rejectedToken;
    if ((!options.forceRefresh || renewedSince) && current && this.#isFresh(current)) {
      this.#lastSource = 'memory';
      return current;
    }
    if (this.#inflight) return this.#inflight;
    const rejected = options.forceRefresh ? (options.rejectedToken ?? current?.token) : undefined;
    const flight = this.#renew(!!options.forceRefresh, rejected, { signal: options.signal }).finally(() => {
      if (this.#inflight === flight) this.#inflight = undefined;
    });
    this.#inflight = flight;
    return flight;
  }

  /** Headers for one request: shorthand for `(await getCredential()).headers`. */
  async getHeaders(options: GetCredentialOptions = {}): Promise<Record<string, string>> {
    return (await this.getCredential(options)).headers;
  }

  /**
   * Mark the credential as unusable: the next call renews it (with the refresh token when there is one).
   */
  async invalidate(): Promise<void> {
    this.#current = undefined;
    await this.cache.withLock(this.key, async () => {
      const cached = await this.#read();
      if (cached) await this.cache.set(this.key, cached.with({ expiresAt: 0 }).toRecord());
    });
  }

  /** Revoke the credential at the server when it offers revocation (RFC 7009), then forget it everywhere. */
  async logout(): Promise<{ revoked: boolean }> {
    const credential = this.#current ?? (await this.#read());
    let revoked = false;
    if (credential && this.provider.revoke) {
      try {
        await this.provider.revoke(credential);
        revoked = true;
      } catch (err) {
        log.warn('revocation failed; forgetting the credential anyway', { code: errorCode(err) });
      }
    }
    await this.forget();
    return { revoked };
  }

  /** Forget the credential locally and in the cache, without telling the server. */
  async forget(): Promise<void> {
    this.#current = undefined;
    await this.cache.delete(this.key);
  }

  #isFresh(credential: Credential): boolean {
    const now = this.#now();
    const { expiresAt, obtainedAt } = credential;
    if (expiresAt === undefined) return true;
    // A token that lives less than twice the window would otherwise be renewed on every call.
    const margin = Math.min(this.#windowMs, Math.max(0, (expiresAt - obtainedAt) / 2));
    return expiresAt - margin > now;
  }

  async #read(): Promise<Credential | undefined> {
    const record = await this.cache.get(this.key);
    if (!record) return undefined;
    try {
      return Credential.fromRecord(record);
    } catch (err) {
      log.warn('ignoring a malformed cache entry', { code: errorCode(err), cache: this.cache.kind });
      return undefined;
    }
  }

  async #renew(force: boolean, rejected: string | undefined, ctx: AcquireContext): Promise<Credential> {
    // Lock-free read first: most of the time another process (or an earlier run) has it already.
    const seen = await this.#read();
    // A forced renewal in a process that holds no credential yet (a new CLI run) refuses the cached
    // token it finds; only a token someone else writes after this read is taken instead of renewing.
    const refused = force ? (rejected ?? seen?.token) : undefined;
    const usable = (c: Credential | undefined): c is Credential =>
      !!c && this.#isFresh(c) && (!force || c.token !== refused);
    if (usable(seen)) return this.#adopt(seen, 'cache');
    return this.cache.withLock(this.key, async () => {
      const cached = await this.#read();
      if (usable(cached)) return this.#adopt(cached, 'cache');
      const next = await this.#obtain(cached, ctx);
      await this.cache.set(this.key, next.credential.toRecord());
      return this.#adopt(next.credential, next.source);
    });
  }

  async #obtain(
    previous: Credential | undefined,
    ctx: AcquireContext,
  ): Promise<{ credential: Credential; source: CredentialSource }> {
    const now = this.#now();
    if (previous) {
      const refreshUsable =
        previous.refreshToken &&
        this.provider.refresh &&
        (previous.refreshExpiresAt === undefined || previous.refreshExpiresAt > now);
      if (refreshUsable && this.provider.refresh) {
        try {
          const renewed = await this.provider.refresh(previous, ctx);
          this.stats.refreshed++;
          return { credential: keepRefreshMaterial(renewed, previous), source: 'refresh' };
        } catch (err) {
          if (!isTokensmithError(err, 'ERR_OAUTH_INVALID_GRANT')) throw err;
          this.stats.refreshRejected++;
          log.info('refresh token was refused; obtaining a new credential', { key: this.key });
          // Someone holding the lock before a stale-lock break may have rotated it already.
          const reread = await this.#read();
          if (reread && this.#isFresh(reread) && reread.refreshToken !== previous.refreshToken) {
            return { credential: reread, source: 'cache' };
          }
        }
      }
      if (this.provider.interactive) {
        await this.cache.delete(this.key);
        this.#current = undefined;
        throw new TokensmithError(
          'ERR_LOGIN_REQUIRED',
          'the session has ended and this grant needs a person to log in again (run `tokensmith login`)',
        );
      }
    }
    const credential = await this.provider.acquire(ctx);
    this.stats.acquired++;
    return { credential, source: 'acquire' };
  }

  #adopt(credential: Credential, source: CredentialSource): Credential {
    if (source === 'cache') this.stats.cacheHits++;
    this.#current = credential;
    this.#lastSource = source;
    return credential;
  }
}

/** Servers that do not rotate refresh tokens omit them from refresh responses: keep the old one. */
function keepRefreshMaterial(renewed: Credential, previous: Credential): Credential {
  if (renewed.refreshToken || !previous.refreshToken) return renewed;
  return renewed.with({ refreshToken: previous.refreshToken, refreshExpiresAt: previous.refreshExpiresAt });
}

function errorCode(err: unknown): string {
  return isTokensmithError(err) ? err.code : err instanceof Error ? err.name : 'unknown';
}
