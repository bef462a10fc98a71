import type { CredentialCache } from './cache.js';
import { Credential } from './credential.js';
import { isTokensmithError, TokensmithError } from './errors.js';
import { freshDeadline } from './freshness.js';
import { getLogger } from './log.js';
import { MemoryCache } from './memory-cache.js';
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
  /**
   * A credential valid at least this many more seconds: one that expires sooner is renewed first
   * (a refresh, else a new grant), by the one renewal in flight. When even a new one lives less
   * than this, `ERR_LIFETIME_TOO_SHORT` (no endless renewals). Credentials without an expiry qualify.
   */
  minValiditySeconds?: number;
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
 *
 * Refresh ahead: inside the refresh window a still-valid credential is returned at once and one
 * renewal runs in the background; callers wait only when the credential has expired, when there is
 * none, or with `forceRefresh`. A failed background renewal is logged (warning, error code only) and
 * retried by the next call; it never reaches a caller, who still holds a valid credential.
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
  // Derived once per credential (in #adopt), so the fast path is one clock read and a comparison.
  /** `#current` as an already-resolved promise: what the fast path returns. */
  #resolved: Promise<Credential> | undefined;
  /** Fresh before this instant (epoch ms); then inside the window until {@link #expiresAt}. */
  #freshUntil = Number.NEGATIVE_INFINITY;
  #expiresAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<Credential> | undefined;
  /** A credential whose background renewal needs a person: served until it expires, not renewed behind. */
  #stalled: Credential | undefined;

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

  /** The refresh window in ms, as configured (each token's is capped at half its lifetime). */
  get refreshWindowMs(): number {
    return this.#windowMs;
  }

  /**
   * A valid credential: cached while fresh; inside the refresh window the current one at once while
   * one renewal runs behind; renewed before returning when expired, absent or `forceRefresh`.
   * Concurrent callers share one renewal.
   */
  getCredential(options?: GetCredentialOptions): Promise<Credential> {
    // Fast path: no allocation, no await of our own; the caller's await is the only one.
    if (
      (options === undefined || (!options.forceRefresh && options.minValiditySeconds === undefined)) &&
      this.#now() < this.#freshUntil
    ) {
      this.#lastSource = 'memory';
      return this.#resolved as Promise<Credential>;
    }
    return this.#getSlow(options ?? {});
  }

  /** Headers for one request: shorthand for `(await getCredential()).headers`. */
  async getHeaders(options: GetCredentialOptions = {}): Promise<Record<string, string>> {
    return (await this.getCredential(options)).headers;
  }

  /**
   * Resolves once no renewal is in flight, background renewals included; never rejects. Await it
   * before closing the cache or ending a short-lived process, so a renewal is not cut off halfway
   * (a rotated refresh token would be lost with it).
   */
  async idle(): Promise<void> {
    while (this.#inflight) await this.#inflight.then(ignore, ignore);
  }

  /**
   * Mark the credential as unusable: the next call renews it (with the refresh token when there is one).
   */
  async invalidate(): Promise<void> {
    this.#clear();
    await this.cache.withLock(this.key, async () => {
      const cached = await this.#read();
      if (cached) await this.cache.set(this.key, cached.with({ expiresAt: 0 }).toRecord());
    });
  }

  /** Revoke the credential at the server when it offers revocation (RFC 7009), then forget it everywhere. */
  async logout(): Promise<{ revoked: boolean }> {
    await this.idle(); // a renewal finishing later would store a token nobody revoked
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
    await this.idle(); // else a renewal in flight would store its result after the delete
    this.#clear();
    await this.cache.delete(this.key);
  }

  #getSlow(options: GetCredentialOptions): Promise<Credential> {
    let minMs: number;
    try {
      minMs = minValidityMs(options.minValiditySeconds);
    } catch (err) {
      return Promise.reject(err);
    }
    return minMs === 0 ? this.#getValid(options, 0) : this.#getLongEnough(options, minMs);
  }

  /** A credential valid at least `minMs` more, renewed first if need be; never more than one extra renewal. */
  async #getLongEnough(options: GetCredentialOptions, minMs: number): Promise<Credential> {
    let credential = await this.#getValid(options, minMs);
    // A renewal joined in flight (started without this bound) may bring a token still too short:
    // one renewal of our own follows. What the server has just issued is final.
    if (
      !this.#validFor(credential, minMs) &&
      this.#lastSource !== 'acquire' &&
      this.#lastSource !== 'refresh'
    ) {
      credential = await (this.#inflight ?? this.#start(false, undefined, {}, false, minMs));
    }
    if (this.#validFor(credential, minMs)) return credential;
    throw new TokensmithError(
      'ERR_LIFETIME_TOO_SHORT',
      `a credential valid for ${minMs / 1000} s was asked for, but the server's lives ${lifetimeSeconds(credential)} s`,
    );
  }

  /** True when `credential` is valid at least `ms` more (always, without an expiry). */
  #validFor(credential: Credential, ms: number): boolean {
    return credential.expiresAt === undefined || credential.expiresAt - this.#now() >= ms;
  }

  #getValid(options: GetCredentialOptions, minMs: number): Promise<Credential> {
    const current = this.#current;
    if (current !== undefined) {
      const now = this.#now();
      const valid = now + minMs < this.#expiresAt || (minMs > 0 && current.expiresAt === undefined);
      if (!options.forceRefresh) {
        if (valid) return this.#serve(current, now);
      } else if (options.rejectedToken !== undefined && current.token !== options.rejectedToken && valid) {
        // A concurrent caller has renewed since the API refused `rejectedToken`: no second renewal.
        return this.#serve(current, now);
      }
    }
    if (this.#inflight) return this.#inflight;
    const rejected = options.forceRefresh ? (options.rejectedToken ?? current?.token) : undefined;
    const flight = this.#start(!!options.forceRefresh, rejected, { signal: options.signal }, false, minMs);
    // A credential taken from the cache inside its window (a new process) is renewed behind the callers.
    flight.then(() => {
      const now = this.#now();
      if (now >= this.#freshUntil && now < this.#expiresAt) this.#renewAhead();
    }, ignore);
    return flight;
  }

  /** The current, still valid credential; inside the window, the one background renewal starts. */
  #serve(current: Credential, now: number): Promise<Credential> {
    if (now >= this.#freshUntil) this.#renewAhead();
    this.#lastSource = 'memory';
    return this.#resolved ?? Promise.resolve(current);
  }

  #renewAhead(): void {
    const current = this.#current;
    if (this.#inflight || current === undefined || this.#stalled === current) return;
    this.#start(false, undefined, {}, true).catch((err: unknown) => {
      if (isTokensmithError(err, 'ERR_LOGIN_REQUIRED')) this.#stalled = current;
      log.warn('background renewal failed; the current credential stays in use while it is valid', {
        key: this.key,
        code: errorCode(err),
      });
    });
  }

  /** Start the single renewal in flight. */
  #start(force: boolean, rejected: string | undefined, ctx: AcquireContext, background: boolean, minMs = 0) {
    const flight: Promise<Credential> = this.#renew(force, rejected, ctx, background, minMs).finally(() => {
      if (this.#inflight === flight) this.#inflight = undefined;
    });
    this.#inflight = flight;
    return flight;
  }

  /** Fresh before this instant (core/freshness.ts). */
  #freshDeadline(credential: Credential): number {
    return freshDeadline(credential, this.#windowMs);
  }

  #isFresh(credential: Credential): boolean {
    return this.#now() < this.#freshDeadline(credential);
  }

  #isValid(credential: Credential): boolean {
    const { expiresAt } = credential;
    return expiresAt === undefined || this.#now() < expiresAt;
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

  async #renew(
    force: boolean,
    rejected: string | undefined,
    ctx: AcquireContext,
    background: boolean,
    minMs: number,
  ): Promise<Credential> {
    // Lock-free read first: most of the time another process (or an earlier run) has it already.
    const seen = await this.#read();
    // A forced renewal in a process that holds no credential yet (a new CLI run) refuses the cached
    // token it finds; only a token someone else writes after this read is taken instead of renewing.
    const refused = force ? (rejected ?? seen?.token) : undefined;
    const usable = (c: Credential | undefined): c is Credential =>
      !!c && this.#isFresh(c) && this.#validFor(c, minMs) && (!force || c.token !== refused);
    if (usable(seen)) return this.#adopt(seen, 'cache', background);
    // A caller with nothing valid takes a still-valid cached one at once; the renewal follows behind.
    if (!force && !background && seen && this.#isValid(seen) && this.#validFor(seen, minMs)) {
      return this.#adopt(seen, 'cache', false);
    }
    return this.cache.withLock(this.key, async () => {
      const cached = await this.#read();
      if (usable(cached)) return this.#adopt(cached, 'cache', background);
      const next = await this.#obtain(cached, ctx, background);
      await this.cache.set(this.key, next.credential.toRecord());
      return this.#adopt(next.credential, next.source, background);
    });
  }

  async #obtain(
    previous: Credential | undefined,
    ctx: AcquireContext,
    background: boolean,
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
        // In the background the access token is still valid: keep it (and the entry) until it
        // expires; the caller that finds it expired gets here in the foreground.
        if (!background) {
          await this.cache.delete(this.key);
          this.#clear();
        }
        throw loginRequired();
      }
    }
    // Never start a login (a browser, a device prompt) behind a caller who holds a valid token.
    if (background && this.provider.interactive) throw loginRequired();
    const credential = await this.provider.acquire(ctx);
    this.stats.acquired++;
    return { credential, source: 'acquire' };
  }

  /** Make `credential` current; a background renewal does not change `lastSource` (no caller saw it). */
  #adopt(credential: Credential, source: CredentialSource, background: boolean): Credential {
    if (source === 'cache') this.stats.cacheHits++;
    this.#current = credential;
    this.#resolved = Promise.resolve(credential);
    this.#freshUntil = this.#freshDeadline(credential);
    this.#expiresAt = credential.expiresAt ?? Number.POSITIVE_INFINITY;
    if (!background) this.#lastSource = source;
    return credential;
  }

  #clear(): void {
    this.#current = undefined;
    this.#resolved = undefined;
    this.#freshUntil = Number.NEGATIVE_INFINITY;
    this.#expiresAt = Number.NEGATIVE_INFINITY;
  }
}

function loginRequired(): TokensmithError {
  return new TokensmithError(
    'ERR_LOGIN_REQUIRED',
    'the session has ended and this grant needs a person to log in again (run `tokensmith login`)',
  );
}

function ignore(): void {}

/** `minValiditySeconds` in ms (0 when not given); a negative or non-number is `ERR_CONFIG_INVALID`. */
function minValidityMs(seconds: number | undefined): number {
  if (seconds === undefined) return 0;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'minValiditySeconds must be a number ≥ 0');
  }
  return seconds * 1000;
}

/** A credential's whole lifetime in seconds, for messages. */
function lifetimeSeconds(c: Credential): number {
  return Math.round(((c.expiresAt ?? 0) - c.obtainedAt) / 1000);
}

/** Servers that do not rotate refresh tokens omit them from refresh responses: keep the old one. */
function keepRefreshMaterial(renewed: Credential, previous: Credential): Credential {
  if (renewed.refreshToken || !previous.refreshToken) return renewed;
  return renewed.with({ refreshToken: previous.refreshToken, refreshExpiresAt: previous.refreshExpiresAt });
}

function errorCode(err: unknown): string {
  return isTokensmithError(err) ? err.code : err instanceof Error ? err.name : 'unknown';
}
