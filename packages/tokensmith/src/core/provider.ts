import type { Credential } from './credential.js';

/** What the TokenManager passes to a provider when it needs a credential. */
export interface AcquireContext {
  /** Aborts the flow (device polling, browser wait, HTTP requests). */
  signal?: AbortSignal;
}

/**
 * One way to obtain a credential. Providers do HTTP through an injected `fetch` and hold no cache:
 * caching and renewal belong to the TokenManager.
 */
export interface Provider {
  /** Provider family, e.g. `oauth2`, `kaltura`. */
  readonly kind: string;
  /**
   * Identifies the credential this provider makes (issuer, client, user, scope/audience).
   * Two providers with the same key may share cached credentials.
   */
  readonly cacheKey: string;
  /** Client id, so `forgetClient` can remove all of a client's credentials. */
  readonly clientId?: string;
  /**
   * True when `acquire()` needs a person (browser or device login). After a refresh failure the
   * manager then throws `ERR_LOGIN_REQUIRED` instead of starting a login by itself.
   */
  readonly interactive?: boolean;
  /** Obtain a new credential from scratch. */
  acquire(ctx: AcquireContext): Promise<Credential>;
  /**
   * Renew `previous` (refresh token, ...). Throws `ERR_OAUTH_INVALID_GRANT` when the refresh
   * material is no longer accepted; the manager then re-acquires.
   */
  refresh?(previous: Credential, ctx: AcquireContext): Promise<Credential>;
  /** Revoke the credential at the server (RFC 7009), when the server offers it. Best effort. */
  revoke?(credential: Credential): Promise<void>;
}

/** Description of one outgoing request, given to a per-request signer. */
export interface SignableRequest {
  method: string;
  url: string;
}

/**
 * A scheme with no reusable token (Kalliope): it makes fresh headers for every request.
 */
export interface RequestSigner {
  readonly kind: string;
  /**
   * The one origin its headers are for (`https://pbx.example.com`), when it has one: `authFetch`
   * then signs requests to that origin only and sends others without its headers.
   */
  readonly origin?: string;
  /** Headers for this one request. */
  sign(request: SignableRequest): Promise<Record<string, string>>;
  /** Called once when the API answered 401, before the request is replayed (refetch salt, ...). */
  onUnauthorized?(response: Response): Promise<void>;
}

/** True when `value` is a {@link RequestSigner}. */
export function isRequestSigner(value: unknown): value is RequestSigner {
  return !!value && typeof (value as RequestSigner).sign === 'function';
}
