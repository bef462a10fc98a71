import type { JWK } from 'jose';
import type { DPoPOption } from '../core/dpop.js';
import { TokensmithError } from '../core/errors.js';
import type { FetchLike } from '../core/http.js';
import type { RetryOptions } from '../core/retry.js';
import type { TlsOptions } from '../core/tls.js';

/** Every way the client can authenticate at the token endpoint. */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
] as const;

/** How the client authenticates at the token endpoint. */
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Options every OAuth 2 grant takes. */
export interface OAuth2CommonOptions {
  /** Issuer URL; endpoints are discovered from its metadata (OIDC, then RFC 8414). */
  issuer?: string;
  /** Token endpoint, when there is no discovery (or to override it). */
  tokenEndpoint?: string;
  /** Revocation endpoint (RFC 7009), when not discovered. */
  revocationEndpoint?: string;
  /** Device authorization endpoint (RFC 8628), when not discovered. */
  deviceAuthorizationEndpoint?: string;
  /** Authorization endpoint, when not discovered. */
  authorizationEndpoint?: string;
  /** JWKS URI to check ID token signatures, when not discovered. */
  jwksUri?: string;
  clientId: string;
  /** Client secret, for `client_secret_basic` (the default when set) and `client_secret_post`. */
  clientSecret?: string;
  /**
   * Client authentication; default: basic with a secret, private_key_jwt with a key, else none.
   * `tls_client_auth` and `self_signed_tls_client_auth` (RFC 8705) need `tls.cert`.
   */
  clientAuth?: ClientAuthMethod;
  /** Private key for `private_key_jwt`: a JWK (with `alg`) or a CryptoKey. */
  privateKey?: JWK | CryptoKey;
  /** Scope, as a space-separated string or a list. */
  scope?: string | string[];
  /** Audience parameter (Keycloak, Auth0, Keystone). */
  audience?: string;
  /** Resource indicators (RFC 8707). */
  resource?: string | string[];
  /** Extra token request parameters. */
  extraParams?: Record<string, string>;
  /** fetch used for every request (default: global fetch, through the environment's proxy). */
  fetch?: FetchLike;
  /**
   * Trusted CAs (added to the default roots) and a client certificate for mutual TLS (RFC 8705),
   * for every request to the server (ignored when `fetch` is given). With a certificate, the
   * server's `mtls_endpoint_aliases` are used, and certificate-bound tokens work: send them with
   * `authFetch(manager, { fetch: tlsFetch(sameTls) })`.
   */
  tls?: TlsOptions;
  /**
   * DPoP (RFC 9449): `true` generates an ES256 key pair (kept in memory, and cached with the token so
   * a later process can use it); or the key pair to use (its private key must be extractable). Every
   * token request carries a proof; a `DPoP` token is sent with a fresh proof per request.
   */
  dpop?: DPoPOption;
  /** Time limit per HTTP exchange, ms (default 30 000). */
  timeoutMs?: number;
  /**
   * Retries of token, discovery and JWKS requests after transport failures and 429/5xx answers
   * (default: 3 attempts in all, with backoff; `false` for a single attempt). Timeouts are not retried.
   */
  retry?: RetryOptions | boolean;
  /** Allow plain http to a non-loopback host. Credentials then cross the network in the clear. */
  allowInsecureHttp?: boolean;
  /** Override the cache key (default: issuer, client, grant, user, scope, audience). */
  cacheKey?: string;
}

/** Scope as the space-separated string OAuth sends. */
export function scopeString(scope: string | string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const s = (Array.isArray(scope) ? scope : scope.split(/[\s,]+/)).filter(Boolean).join(' ');
  return s || undefined;
}

/** Parameters every token request of these options carries (scope, audience, resource, extras). */
export function commonTokenParams(opts: OAuth2CommonOptions): URLSearchParams {
  const params = new URLSearchParams();
  const scope = scopeString(opts.scope);
  if (scope) params.set('scope', scope);
  if (opts.audience) params.set('audience', opts.audience);
  for (const r of [opts.resource ?? []].flat()) params.append('resource', r);
  for (const [k, v] of Object.entries(opts.extraParams ?? {})) params.set(k, v);
  return params;
}

/**
 * Authorization request parameters tokensmith sets itself: the login's safety rests on them (CSRF
 * state, nonce, PKCE, the loopback redirect), so extra parameters may not replace them.
 */
export const RESERVED_AUTHORIZATION_PARAMS: readonly string[] = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
];

/** Throws `ERR_CONFIG_INVALID` naming the first extra authorization parameter that is reserved. */
export function checkAuthorizationParams(params: Record<string, string> | undefined): void {
  for (const name of Object.keys(params ?? {})) {
    if (RESERVED_AUTHORIZATION_PARAMS.includes(name)) {
      throw new TokensmithError(
        'ERR_CONFIG_INVALID',
        `authorization parameter "${name}" is set by tokensmith and cannot be given`,
        { field: name },
      );
    }
  }
}
