/**
 * `kalliope.signer`: a {@link RequestSigner} that puts a fresh `X-authenticate` header (new nonce,
 * `Created` corrected for clock skew) on every request to one Kalliope PBX.
 */
import { inspect } from 'node:util';
import { TokensmithError } from '../core/errors.js';
import { assertSecureUrl, defaultFetch, type FetchLike, isLoopbackHost } from '../core/http.js';
import { getLogger } from '../core/log.js';
import type { RequestSigner, SignableRequest } from '../core/provider.js';
import { registerSecret } from '../core/redact.js';
import type { TlsOptions } from '../core/tls.js';
import { lazyTlsFetch } from '../core/tls-lazy.js';
import { ClockSkew } from './clock-skew.js';
import { type KalliopeConnection, parseConnectionString } from './connection-string.js';
import {
  digestFromHash,
  formatCreated,
  formatHeader,
  HEADER_NAME,
  headerFieldProblem,
  newNonce,
  passwordHash,
} from './digest.js';
import { type SaltCache, type SaltResponse, sharedSaltCache } from './salt.js';

const log = getLogger('kalliope');

/** Options for {@link signer}. */
export interface KalliopeSignerOptions {
  /**
   * Connection string `scheme://user:password@host:port/tenant_domain` or a plain base URL such as
   * `https://pbx.example.com` (API paths are not tenant-prefixed: the URL's path is the tenant
   * domain), or the result of `parseConnectionString`.
   */
  url: string | KalliopeConnection;
  /** Username, when the connection string has none. */
  username?: string;
  /** Password, when the connection string has none (a secret). */
  password?: string;
  /** Tenant domain, when the connection string has none (default `default`). */
  domain?: string;
  /** fetch for the salt endpoint (default: the global one, or one with `tls`). */
  fetch?: FetchLike;
  /**
   * Trusted CAs (a private CA) and a client certificate for the connections to the PBX, as in
   * `oauth2` providers (core/tls.ts); loaded on the first request. Used for the salt, and by
   * {@link KalliopeSigner.fetch} for the signed requests. Ignored when `fetch` is given.
   */
  tls?: TlsOptions;
  /** Local clock, epoch ms (default `Date.now`); tests set a wrong one. */
  now?: () => number;
  /** Allow plain http to a non-loopback host (the digest then travels in the clear). */
  allowInsecureHttp?: boolean;
  /** Salt cache (default: one shared by the process, keyed by host and domain). */
  saltCache?: SaltCache;
  /** Time limit for the salt request, ms. */
  timeoutMs?: number;
}

/** A Kalliope signer: sign requests, or make one header for other tools. */
export interface KalliopeSigner extends RequestSigner {
  readonly kind: 'kalliope';
  /** `scheme://host[:port]`. */
  readonly baseUrl: string;
  /**
   * The PBX's origin: the only one this signer signs for. `authFetch(signer)` sends requests to
   * other origins without `X-authenticate`; `sign()` refuses them.
   */
  readonly origin: string;
  readonly username: string;
  readonly domain: string;
  /**
   * The fetch for requests to the PBX: the one given, or one with the `tls` settings (else the
   * global one). Pass it on: `authFetch(signer, { fetch: signer.fetch })`.
   */
  readonly fetch: FetchLike;
  /** Current estimate of server clock minus local clock, ms. */
  readonly clockOffsetMs: number;
  /** `{ 'X-authenticate': value }` for a request to this PBX (other origins are refused). */
  sign(request: SignableRequest): Promise<Record<string, string>>;
  /** The header value for one request, with its parts (nonce, created) for display. */
  header(): Promise<{ name: string; value: string; nonce: string; created: string }>;
  /** Refetch the salt (at most once per burst) and take a clock sample from the rejection. */
  onUnauthorized(response: Response): Promise<void>;
}

function configError(message: string): TokensmithError {
  return new TokensmithError('ERR_CONFIG_INVALID', `Kalliope signer: ${message}`);
}

/** Merge connection-string values with explicit options; both for the same thing is an error. */
function resolveOptions(options: KalliopeSignerOptions) {
  registerSecret(options.password);
  if (!options.url) throw configError('url is required');
  const conn = typeof options.url === 'string' ? parseConnectionString(options.url) : options.url;
  registerSecret(conn.password);
  if (conn.username !== undefined && (options.username !== undefined || options.password !== undefined)) {
    throw configError('give credentials in the connection string or as options, not both');
  }
  const username = conn.username ?? options.username?.trim();
  const password = conn.password ?? options.password;
  if (!username || !password) throw configError('username and password are required');
  if (options.domain && !conn.domainDefaulted && options.domain !== conn.domain) {
    throw configError('the domain option differs from the connection string domain');
  }
  const domain = options.domain || conn.domain;
  if (/^rest(\/|$)/.test(domain)) {
    throw configError('the URL path is the tenant domain: give the PBX base URL, without /rest/...');
  }
  const problem = headerFieldProblem(username, 'username') ?? headerFieldProblem(domain, 'domain');
  if (problem) throw configError(problem);
  assertSecureUrl(conn.baseUrl, options.allowInsecureHttp, 'Kalliope URL');
  if (conn.scheme === 'http' && !isLoopbackHost(new URL(conn.baseUrl).hostname)) {
    log.warn(
      `plain http to ${conn.baseUrl}: headers and data travel unencrypted and a captured digest allows offline password guessing`,
    );
  }
  return { baseUrl: conn.baseUrl, username, password, domain };
}

class Signer implements KalliopeSigner {
  readonly kind = 'kalliope' as const;
  readonly baseUrl: string;
  readonly username: string;
  readonly domain: string;
  readonly #password: string;
  readonly #fetch: FetchLike | undefined;
  readonly fetch: FetchLike;
  readonly #timeoutMs: number | undefined;
  readonly #salts: SaltCache;
  readonly #clock: ClockSkew;
  readonly #now: () => number;
  // Inner hash per salt: computed once, since sha256(password{salt}) is the same for every request.
  #inner: { salt: string; hash: string } | undefined;
  // The salt answer whose Date header was last sampled, so a cached answer is sampled once.
  #sampled: SaltResponse | undefined;

  constructor(options: KalliopeSignerOptions) {
    const resolved = resolveOptions(options);
    this.baseUrl = resolved.baseUrl;
    this.username = resolved.username;
    this.domain = resolved.domain;
    this.#password = resolved.password;
    this.#fetch = options.fetch ?? (options.tls ? lazyTlsFetch(options.tls) : undefined);
    this.fetch = this.#fetch ?? defaultFetch;
    this.#timeoutMs = options.timeoutMs;
    this.#salts = options.saltCache ?? sharedSaltCache;
    this.#now = options.now ?? Date.now;
    this.#clock = new ClockSkew(this.#now);
  }

  get origin(): string {
    return new URL(this.baseUrl).origin;
  }

  get clockOffsetMs(): number {
    return this.#clock.offsetMs;
  }

  async sign(request: SignableRequest): Promise<Record<string, string>> {
    let origin: string;
    try {
      origin = new URL(request.url).origin;
    } catch {
      throw configError('cannot sign a request without an absolute URL');
    }
    // The digest allows offline password guessing: never hand it to another host.
    if (origin !== this.origin) {
      throw configError(`refusing to sign a request to ${origin}; this signer is for ${this.origin}`);
    }
    const { name, value } = await this.header();
    return { [name]: value };
  }

  async header(): Promise<{ name: string; value: string; nonce: string; created: string }> {
    const inner = this.#innerHash(await this.#salt(false));
    const nonce = newNonce();
    const created = formatCreated(this.#clock.serverNow());
    const fields = { username: this.username, domain: this.domain, nonce, created };
    const value = formatHeader({ ...fields, digest: digestFromHash(inner, fields) });
    return { name: HEADER_NAME, value, nonce, created };
  }

  async onUnauthorized(response: Response): Promise<void> {
    this.#clock.observeResponse(response);
    log.debug(`Kalliope answered ${response.status}; checking the salt before the replay`);
    await this.#salt(true);
  }

  async #salt(refetch: boolean): Promise<SaltResponse> {
    const key = {
      baseUrl: this.baseUrl,
      domain: this.domain,
      fetch: this.#fetch,
      timeoutMs: this.#timeoutMs,
    };
    const answer = await (refetch ? this.#salts.refetch(key) : this.#salts.get(key));
    if (answer !== this.#sampled && answer.serverTime !== undefined) {
      this.#sampled = answer;
      // Place the sample on this signer's clock, which may be set differently from the real one.
      const receivedAt = this.#now() - (performance.now() - answer.receivedAt);
      this.#clock.observe(answer.serverTime, receivedAt, answer.rttMs);
    }
    return answer;
  }

  #innerHash(answer: SaltResponse): string {
    if (this.#inner?.salt !== answer.salt) {
      const hash = passwordHash(this.#password, answer.salt);
      registerSecret(hash);
      this.#inner = { salt: answer.salt, hash };
    }
    return this.#inner.hash;
  }

  /** Secret-free description. */
  toJSON(): Record<string, unknown> {
    return { kind: this.kind, baseUrl: this.baseUrl, username: this.username, domain: this.domain };
  }

  toString(): string {
    return `KalliopeSigner(${this.username}@${this.baseUrl}/${this.domain})`;
  }

  [inspect.custom](): string {
    return `KalliopeSigner ${inspect(this.toJSON())}`;
  }
}

/**
 * A signer for one Kalliope PBX, tenant and user. Use it with `authFetch(signer)`: every request
 * to the PBX's origin gets a new header (requests elsewhere go out unsigned), a redirect is followed
 * only within that origin, and a 401 refetches the salt once and replays the request.
 *
 * Throws `ERR_CONFIG_INVALID` for bad options and `ERR_INSECURE_HTTP` for plain http to a
 * non-loopback host without `allowInsecureHttp`.
 */
export function signer(options: KalliopeSignerOptions): KalliopeSigner {
  return new Signer(options);
}
