import { inspect } from 'node:util';
import type { DPoPJwk } from './dpop.js';
import { TokensmithError } from './errors.js';
import { REDACTED, registerSecret } from './redact.js';
import { terminalSafe } from './terminal-text.js';
import { clampExpiry, isTimeInRange, MAX_LIFETIME_MS } from './time-bounds.js';
import { checkTokenValue, isHeaderSafeToken } from './token-value.js';

/** Everything a credential holds, as stored by caches. Contains secrets: never log it. */
export interface CredentialRecord {
  /** Format version of this record. */
  v: 1;
  /** Which provider family made it: `oauth2`, `kaltura`, `static`, ... */
  kind: string;
  /** The raw token (access token, KS, ...). */
  token: string;
  /** Token type as the server sent it, normalised to `Bearer` for bearer tokens. */
  tokenType: string;
  /** Headers to put on each request. When absent, `Authorization: <tokenType> <token>`. */
  headers?: Record<string, string>;
  /** Expiry, epoch ms on this machine's clock; absent when the server gave none. */
  expiresAt?: number;
  /** When the credential was obtained, epoch ms. */
  obtainedAt: number;
  /** Refresh token, when the scheme has one. */
  refreshToken?: string;
  /** Expiry of the refresh token itself (Keycloak's `refresh_expires_in`), epoch ms. */
  refreshExpiresAt?: number;
  /** ID token, when one came with the response. */
  idToken?: string;
  /** Granted scope. */
  scope?: string;
  /** Audience or resource the token was requested for. */
  audience?: string;
  /** The user (ID token `sub`, `preferred_username`, Kaltura user id), not a secret. */
  subject?: string;
  /** Client id that obtained it; used to forget all tokens of one client. */
  clientId?: string;
  /** Issuer or service URL that issued it. */
  issuer?: string;
  /** Non-secret vendor facts (Kaltura partner id, session type, privileges...). */
  meta?: Record<string, string | number | boolean>;
  /** The private key a `DPoP` token is bound to (RFC 9449); without it the token is useless. A secret. */
  dpopKey?: DPoPJwk;
}

/** Non-secret view of a credential, safe to print. */
export type CredentialSummary = Omit<
  CredentialRecord,
  'token' | 'refreshToken' | 'idToken' | 'headers' | 'dpopKey'
> & {
  token: string;
  hasRefreshToken: boolean;
  hasIdToken: boolean;
  /** Present (true) when the token is bound to a DPoP key held with it. */
  hasDPoPKey?: true;
};

/**
 * A credential obtained by a provider. Its secrets are readable through the properties, but
 * `toJSON()`, `String()` and `util.inspect` show a redacted summary only.
 */
export class Credential {
  readonly #record: CredentialRecord;
  /** {@link idTokenExpiresAt}, read from the ID token on first use (`null`: not read yet). */
  #idTokenExpiresAt: number | undefined | null = null;

  /**
   * Checks what every provider hands over: the token values must be header-safe (see
   * `checkTokenValue`; `ERR_RESPONSE_INVALID_FIELD` naming the field), the times finite; expiries are
   * clamped to at most 10 years after `obtainedAt` (see `MAX_LIFETIME_SECONDS`), and `subject`, shown
   * to people, is made terminal-safe.
   */
  constructor(record: CredentialRecord) {
    if (typeof record.token !== 'string' || record.token.length === 0) {
      throw new TokensmithError('ERR_RESPONSE_MISSING_FIELD', 'credential has no token', { field: 'token' });
    }
    registerSecret(record.token, 'transient');
    registerSecret(record.refreshToken, 'transient');
    registerSecret(record.idToken, 'transient');
    registerSecret(record.dpopKey?.d, 'transient');
    checkTokenValue(record.token, 'token');
    checkTokenValue(record.tokenType, 'tokenType');
    if (record.refreshToken !== undefined) checkTokenValue(record.refreshToken, 'refreshToken');
    if (record.idToken !== undefined) checkTokenValue(record.idToken, 'idToken');
    const headerProblem = record.headers === undefined ? undefined : unsafeHeader(record.headers);
    if (headerProblem) {
      throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', `credential header ${headerProblem}`, {
        field: 'headers',
      });
    }
    if (!isTimeInRange(record.obtainedAt)) {
      throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', 'credential "obtainedAt" is not a valid time', {
        field: 'obtainedAt',
      });
    }
    const checked: CredentialRecord = { ...record };
    for (const field of ['expiresAt', 'refreshExpiresAt'] as const) {
      const value = record[field];
      if (value === undefined) continue;
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', `credential "${field}" is not a time`, {
          field,
        });
      }
      checked[field] = clampExpiry(value, record.obtainedAt);
    }
    if (record.subject !== undefined) checked.subject = terminalSafe(record.subject);
    this.#record = Object.freeze(checked);
  }

  /**
   * Build a credential from a cached record, checking its shape: any malformed field, a token that
   * is not header-safe or a time out of range (an expiry more than 10 years after `obtainedAt`) is
   * `ERR_CACHE_CORRUPT`, so the cache treats the entry as a miss and the manager renews it.
   */
  static fromRecord(value: unknown): Credential {
    if (!value || typeof value !== 'object') {
      throw new TokensmithError('ERR_CACHE_CORRUPT', 'cache entry is not an object');
    }
    const r = value as Partial<CredentialRecord>;
    const bad = (field: string, why = 'is missing or malformed') =>
      new TokensmithError('ERR_CACHE_CORRUPT', `cache entry field "${field}" ${why}`, {
        field,
        source: 'cache entry',
      });
    const unsafe = (field: string) => bad(field, 'is not a header-safe token');
    if (r.v !== 1) throw bad('v');
    if (typeof r.kind !== 'string') throw bad('kind');
    if (typeof r.token !== 'string' || !r.token) throw bad('token');
    if (!isHeaderSafeToken(r.token)) throw unsafe('token');
    if (typeof r.tokenType !== 'string') throw bad('tokenType');
    if (!isHeaderSafeToken(r.tokenType)) throw unsafe('tokenType');
    if (typeof r.obtainedAt !== 'number') throw bad('obtainedAt');
    if (!isTimeInRange(r.obtainedAt) || r.obtainedAt < 0) throw bad('obtainedAt', 'is out of range');
    for (const field of ['expiresAt', 'refreshExpiresAt'] as const) {
      const t = r[field];
      if (t === undefined) continue;
      if (typeof t !== 'number') throw bad(field);
      if (!Number.isFinite(t) || t < 0 || t > r.obtainedAt + MAX_LIFETIME_MS)
        throw bad(field, 'is out of range');
    }
    if (r.refreshToken !== undefined && typeof r.refreshToken !== 'string') throw bad('refreshToken');
    if (r.refreshToken !== undefined && !isHeaderSafeToken(r.refreshToken)) throw unsafe('refreshToken');
    if (r.idToken !== undefined && !isHeaderSafeToken(r.idToken)) throw unsafe('idToken');
    if (r.dpopKey !== undefined && !isDPoPJwk(r.dpopKey)) throw bad('dpopKey');
    // A DPoP-bound token without its key cannot be used: a miss, so the manager gets a new one.
    if (r.tokenType.toLowerCase() === 'dpop' && r.dpopKey === undefined) throw bad('dpopKey');
    if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null))
      throw bad('headers');
    if (r.headers !== undefined && unsafeHeader(r.headers)) throw bad('headers', 'holds an unsafe header');
    return new Credential(r as CredentialRecord);
  }

  /** The full record, secrets included, for caches. */
  toRecord(): CredentialRecord {
    return { ...this.#record };
  }

  /** A copy with some fields replaced. */
  with(changes: Partial<CredentialRecord>): Credential {
    return new Credential({ ...this.#record, ...changes });
  }

  get kind(): string {
    return this.#record.kind;
  }
  /** The raw token: the value to print for `tokensmith token`. */
  get token(): string {
    return this.#record.token;
  }
  get tokenType(): string {
    return this.#record.tokenType;
  }
  get expiresAt(): number | undefined {
    return this.#record.expiresAt;
  }
  get obtainedAt(): number {
    return this.#record.obtainedAt;
  }
  get refreshToken(): string | undefined {
    return this.#record.refreshToken;
  }
  get refreshExpiresAt(): number | undefined {
    return this.#record.refreshExpiresAt;
  }
  get idToken(): string | undefined {
    return this.#record.idToken;
  }
  /**
   * Expiry of the ID token, epoch ms on this machine's clock: its `exp` claim (server time, read
   * without verifying: the token was checked when received) corrected by the clock skew measured
   * then, bounded like `expiresAt`. Undefined without an ID token or a readable `exp`.
   */
  get idTokenExpiresAt(): number | undefined {
    if (this.#idTokenExpiresAt === null) {
      const exp = this.#record.idToken === undefined ? undefined : jwtExp(this.#record.idToken);
      const skew = this.#record.meta?.clockSkewMs;
      this.#idTokenExpiresAt =
        exp === undefined
          ? undefined
          : clampExpiry(exp * 1000 - (typeof skew === 'number' ? skew : 0), this.#record.obtainedAt);
    }
    return this.#idTokenExpiresAt;
  }
  get scope(): string | undefined {
    return this.#record.scope;
  }
  get audience(): string | undefined {
    return this.#record.audience;
  }
  get subject(): string | undefined {
    return this.#record.subject;
  }
  get clientId(): string | undefined {
    return this.#record.clientId;
  }
  get issuer(): string | undefined {
    return this.#record.issuer;
  }
  /** The private JWK of the DPoP key the token is bound to (a secret), if any. */
  get dpopKey(): DPoPJwk | undefined {
    return this.#record.dpopKey;
  }
  get meta(): Readonly<Record<string, string | number | boolean>> {
    return this.#record.meta ?? {};
  }

  /** Headers to send with each request. */
  get headers(): Record<string, string> {
    return this.#record.headers
      ? { ...this.#record.headers }
      : { authorization: `${this.#record.tokenType} ${this.#record.token}` };
  }

  /** True when the credential is valid at `now` with `marginMs` to spare (unknown expiry counts as valid). */
  isFresh(now: number, marginMs = 0): boolean {
    return this.#record.expiresAt === undefined || this.#record.expiresAt - marginMs > now;
  }

  /** Secret-free summary. */
  summary(): CredentialSummary {
    const { token: _t, refreshToken, idToken, headers: _h, dpopKey, ...rest } = this.#record;
    return {
      ...rest,
      token: REDACTED,
      hasRefreshToken: !!refreshToken,
      hasIdToken: !!idToken,
      ...(dpopKey ? { hasDPoPKey: true as const } : {}),
    };
  }

  toJSON(): CredentialSummary {
    return this.summary();
  }

  toString(): string {
    return `Credential(${this.#record.kind}, ${this.#record.tokenType} ${REDACTED})`;
  }

  [inspect.custom](): string {
    return `Credential ${inspect(this.summary())}`;
  }
}

/** A JWT's `exp` claim (seconds), unverified, or undefined when the token is not a JWT or has none. */
function jwtExp(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** A private JWK's shape: string members, `kty` and `d` present. */
function isDPoPJwk(value: unknown): value is DPoPJwk {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const jwk = value as Record<string, unknown>;
  return (
    typeof jwk.kty === 'string' &&
    typeof jwk.d === 'string' &&
    Object.values(jwk).every((v) => typeof v === 'string' || typeof v === 'boolean')
  );
}

// RFC 9110 field-name (token) and a field value without CR, LF, NUL or other controls.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\u0020-\u007e]*$/;

/** Why `headers` cannot be sent as they are, or undefined when they can. Never quotes a value. */
function unsafeHeader(headers: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) return 'has a name that is not an HTTP token';
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) return `"${name}" has an unsafe value`;
  }
  return undefined;
}
