/**
 * The tenant salt: `GET /rest/salt/{domain}` (anonymous, `Accept: application/json`, answer
 * `{"salt": "…"}`), cached per host and domain with one fetch in flight per key. The salt decides the
 * digest, so only the PBX's own answer counts: a redirect to another origin is `ERR_REDIRECT_REFUSED`.
 */
import { TokensmithError } from '../core/errors.js';
import { createHttpClient, type FetchLike, readBodyLimited, serverDate } from '../core/http.js';
import { getLogger } from '../core/log.js';

const log = getLogger('kalliope');

/** A salt answer is a few dozen bytes; anything near this is not a salt answer. */
const MAX_SALT_RESPONSE_BYTES = 64 * 1024;

/** Default for {@link SaltCacheOptions.refetchIntervalMs}. */
export const DEFAULT_SALT_REFETCH_INTERVAL_MS = 10_000;

/** A salt as fetched, with the clock facts the exchange gave. */
export interface SaltResponse {
  salt: string;
  /** Server time from the `Date` header, epoch ms, when sent. */
  serverTime?: number;
  /** `performance.now()` when the answer arrived: any clock can place the `Date` sample with it. */
  receivedAt: number;
  /** Round-trip time of the exchange, ms. */
  rttMs: number;
}

/** Options for {@link fetchSalt}. */
export interface FetchSaltOptions {
  /** `scheme://host[:port]`. */
  baseUrl: string;
  domain: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** The salt endpoint URL for `domain` (a single path segment, so it is percent-encoded). */
export function saltUrl(baseUrl: string, domain: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/rest/salt/${encodeURIComponent(domain)}`;
}

/**
 * Fetch the salt of `domain`. A 4xx answer throws `ERR_KALLIOPE_AUTH` (the tenant domain is
 * probably unknown), other non-2xx `ERR_HTTP_STATUS`; malformed bodies `ERR_RESPONSE_*`.
 */
export async function fetchSalt(options: FetchSaltOptions): Promise<SaltResponse> {
  const source = 'Kalliope salt endpoint';
  // A GET of public data: safe to send again after a transport failure, 429 or 5xx.
  const http = createHttpClient({ fetch: options.fetch, timeoutMs: options.timeoutMs, source, retry: true });
  const started = performance.now();
  const response = await http(saltUrl(options.baseUrl, options.domain), {
    method: 'GET',
    headers: { accept: 'application/json' },
  });
  const receivedAt = performance.now();
  const serverTime = serverDate(response);
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const client = response.status >= 400 && response.status < 500;
    throw new TokensmithError(
      client ? 'ERR_KALLIOPE_AUTH' : 'ERR_HTTP_STATUS',
      `${source} answered ${response.status} for tenant domain "${options.domain}"` +
        (client ? ' (is the domain right?)' : ''),
      { status: response.status, source },
    );
  }
  const body = await readBodyLimited(response, MAX_SALT_RESPONSE_BYTES, source);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new TokensmithError('ERR_RESPONSE_NOT_JSON', `${source} did not answer JSON`, {
      status: response.status,
      source,
      cause,
    });
  }
  const salt = (parsed as { salt?: unknown } | null)?.salt;
  // An empty salt is refused: servers built on Symfony hash `password` without braces then, a guess we avoid.
  if (typeof salt !== 'string' || salt === '') {
    throw new TokensmithError(
      'ERR_RESPONSE_MISSING_FIELD',
      `${source} answer has no non-empty "salt" string`,
      {
        status: response.status,
        field: 'salt',
        source,
      },
    );
  }
  const timing = { receivedAt, rttMs: receivedAt - started };
  return serverTime === undefined ? { salt, ...timing } : { salt, serverTime, ...timing };
}

/** Options for {@link SaltCache}. */
export interface SaltCacheOptions {
  /**
   * After a refetch, further 401s within this many ms reuse its result instead of fetching again,
   * so a burst of requests signed with the old salt costs one fetch (default 10 s).
   */
  refetchIntervalMs?: number;
}

interface Entry {
  promise: Promise<SaltResponse>;
  /** performance.now() when the fetch finished; undefined while in flight. */
  settledAt?: number;
  /** True when a rejection caused this fetch. */
  refetched: boolean;
}

/**
 * Salts by `baseUrl` and domain. One fetch per key is in flight at a time; failed fetches are not
 * kept. Salts are public (fetched anonymously), so the cache holds no secret.
 */
export class SaltCache {
  readonly #entries = new Map<string, Entry>();
  readonly #refetchIntervalMs: number;

  constructor(options: SaltCacheOptions = {}) {
    this.#refetchIntervalMs = options.refetchIntervalMs ?? DEFAULT_SALT_REFETCH_INTERVAL_MS;
  }

  /** The cached salt, fetching it when absent. */
  get(key: FetchSaltOptions): Promise<SaltResponse> {
    const id = cacheKey(key);
    const entry = this.#entries.get(id);
    return entry ? entry.promise : this.#load(id, key, false);
  }

  /**
   * Fetch again after the server refused a request, unless a fetch is in flight or another
   * rejection caused a fetch less than `refetchIntervalMs` ago (that one already answers this one:
   * a 401 does not say which salt its request used).
   */
  refetch(key: FetchSaltOptions): Promise<SaltResponse> {
    const id = cacheKey(key);
    const entry = this.#entries.get(id);
    const fresh =
      entry &&
      (entry.settledAt === undefined ||
        (entry.refetched && performance.now() - entry.settledAt < this.#refetchIntervalMs));
    if (entry && fresh) return entry.promise;
    log.debug(`refetching the salt of tenant domain "${key.domain}" at ${key.baseUrl}`);
    return this.#load(id, key, true);
  }

  /** Forget one key, or everything. */
  clear(key?: Pick<FetchSaltOptions, 'baseUrl' | 'domain'>): void {
    if (key) this.#entries.delete(cacheKey(key));
    else this.#entries.clear();
  }

  #load(id: string, key: FetchSaltOptions, refetched: boolean): Promise<SaltResponse> {
    const entry: Entry = { promise: fetchSalt(key), refetched };
    this.#entries.set(id, entry);
    entry.promise.then(
      () => {
        entry.settledAt = performance.now();
      },
      () => {
        if (this.#entries.get(id) === entry) this.#entries.delete(id);
      },
    );
    return entry.promise;
  }
}

function cacheKey(key: Pick<FetchSaltOptions, 'baseUrl' | 'domain'>): string {
  return `${key.baseUrl.replace(/\/+$/, '').toLowerCase()}\n${key.domain}`;
}

/** The process-wide cache signers share unless given their own. */
export const sharedSaltCache = new SaltCache();
