import { inspect } from 'node:util';
import * as oauth from 'oauth4webapi';
import { Credential } from '../core/credential.js';
import { TokensmithError } from '../core/errors.js';
import {
  assertSecureUrl,
  createHttpClient,
  type FetchLike,
  isLoopbackHost,
  serverDate,
} from '../core/http.js';
import { getLogger } from '../core/log.js';
import { redactValue, registerSecret } from '../core/redact.js';
import { IdTokenVerifier } from './id-token.js';
import { toTokensmithError } from './oauth-error.js';
import type { OAuth2CommonOptions } from './options.js';
import { checkResponse, type ResponseKind } from './response-check.js';

const log = getLogger('oauth2');

/** Options oauth4webapi takes on every request: our fetch, and http allowed where we allow it. */
type RequestOptions = {
  [oauth.customFetch]: FetchLike;
  [oauth.allowInsecureRequests]: boolean;
  signal?: AbortSignal;
};

/** Facts about one token request, used to compute expiry. */
export interface ExchangeTiming {
  /** Local time the request was sent, epoch ms. */
  sentAt: number;
  /** Server clock minus local clock, ms, from the response `Date` header (0 when absent). */
  skewMs: number;
}

/**
 * One OAuth 2 client at one authorization server: resolves endpoints once, authenticates the client,
 * sends requests through oauth4webapi, checks responses and turns token responses into credentials.
 */
export class OAuth2Client {
  readonly options: OAuth2CommonOptions;
  readonly client: oauth.Client;
  readonly http: FetchLike;
  #server: Promise<oauth.AuthorizationServer> | undefined;
  #clientAuth: Promise<oauth.ClientAuth> | undefined;
  #idTokens: IdTokenVerifier | undefined;

  constructor(options: OAuth2CommonOptions) {
    if (!options.clientId) throw new TokensmithError('ERR_CONFIG_INVALID', 'clientId is required');
    if (!options.issuer && !options.tokenEndpoint) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'either issuer or tokenEndpoint is required');
    }
    registerSecret(options.clientSecret);
    this.options = options;
    this.client = { client_id: options.clientId };
    // oauth4webapi sends `redirect: 'manual'`; this client follows redirects within each request's
    // origin (a same-origin 307 keeps the client secret), and refuses any other as ERR_REDIRECT_REFUSED.
    this.http = createHttpClient({
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      source: 'oauth2',
      retry: options.retry ?? true,
    });
    // Fail fast on an insecure URL, before any request.
    if (options.issuer) assertSecureUrl(options.issuer, options.allowInsecureHttp, 'issuer');
    if (options.tokenEndpoint)
      assertSecureUrl(options.tokenEndpoint, options.allowInsecureHttp, 'tokenEndpoint');
  }

  /** Options with secrets masked, for printing. */
  toJSON(): unknown {
    return redactValue({ ...this.options, fetch: undefined });
  }

  [inspect.custom](): string {
    return `OAuth2Client ${inspect(this.toJSON())}`;
  }

  /** Issuer or token endpoint: what identifies the server in cache keys and records. */
  get serverId(): string {
    return this.options.issuer ?? this.options.tokenEndpoint!;
  }

  /** Request options for a URL: http allowed for loopback or when the user opted in. */
  requestOptions(signal?: AbortSignal): RequestOptions {
    const insecureOk =
      !!this.options.allowInsecureHttp ||
      [this.options.issuer, this.options.tokenEndpoint].every(
        (u) => !u || isLoopbackHost(new URL(u).hostname),
      );
    return { [oauth.customFetch]: this.http, [oauth.allowInsecureRequests]: insecureOk, signal };
  }

  /** Server metadata: discovered once (OIDC, then RFC 8414), with explicit endpoints taking precedence. */
  server(): Promise<oauth.AuthorizationServer> {
    this.#server ??= this.#resolveServer().catch((err) => {
      this.#server = undefined; // a later call may succeed (server was down)
      throw err;
    });
    return this.#server;
  }

  async #resolveServer(): Promise<oauth.AuthorizationServer> {
    const o = this.options;
    let as: oauth.AuthorizationServer;
    if (o.issuer) {
      as = await this.#discover(new URL(o.issuer));
    } else {
      as = { issuer: new URL(o.tokenEndpoint!).origin };
    }
    const explicit: Record<string, string | undefined> = {
      token_endpoint: o.tokenEndpoint,
      revocation_endpoint: o.revocationEndpoint,
      device_authorization_endpoint: o.deviceAuthorizationEndpoint,
      authorization_endpoint: o.authorizationEndpoint,
      jwks_uri: o.jwksUri,
    };
    for (const [k, v] of Object.entries(explicit)) {
      if (v) {
        assertSecureUrl(v, o.allowInsecureHttp, k);
        (as as Record<string, unknown>)[k] = v;
      }
    }
    if (!as.token_endpoint) {
      throw new TokensmithError('ERR_RESPONSE_MISSING_FIELD', 'server metadata has no token_endpoint', {
        field: 'token_endpoint',
        source: 'discovery document',
      });
    }
    return as;
  }

  async #discover(issuer: URL): Promise<oauth.AuthorizationServer> {
    const attempt = async (algorithm: 'oidc' | 'oauth2') => {
      const response = await oauth.discoveryRequest(issuer, { algorithm, ...this.requestOptions() });
      return oauth.processDiscoveryResponse(issuer, await checkResponse(response, 'discovery'));
    };
    try {
      return await attempt('oidc');
    } catch (err) {
      const e = toTokensmithError(err, 'discovery document');
      if (e.code !== 'ERR_HTTP_STATUS' || e.status !== 404) throw e;
      log.debug('no OpenID configuration; trying RFC 8414 metadata', { issuer: issuer.href });
      try {
        return await attempt('oauth2');
      } catch (err2) {
        throw toTokensmithError(err2, 'discovery document');
      }
    }
  }

  /** The client authentication oauth4webapi applies to each request. */
  clientAuth(): Promise<oauth.ClientAuth> {
    this.#clientAuth ??= this.#makeClientAuth();
    return this.#clientAuth;
  }

  async #makeClientAuth(): Promise<oauth.ClientAuth> {
    const o = this.options;
    const method =
      o.clientAuth ?? (o.clientSecret ? 'client_secret_basic' : o.privateKey ? 'private_key_jwt' : 'none');
    switch (method) {
      case 'client_secret_basic':
      case 'client_secret_post':
        if (!o.clientSecret)
          throw new TokensmithError('ERR_CONFIG_INVALID', `${method} needs a clientSecret`);
        return method === 'client_secret_basic'
          ? oauth.ClientSecretBasic(o.clientSecret)
          : oauth.ClientSecretPost(o.clientSecret);
      case 'private_key_jwt': {
        if (!o.privateKey)
          throw new TokensmithError('ERR_CONFIG_INVALID', 'private_key_jwt needs a privateKey');
        const key = o.privateKey;
        if ('type' in key && (key as CryptoKey).type === 'private')
          return oauth.PrivateKeyJwt(key as CryptoKey);
        const jwk = key as import('jose').JWK;
        if (!jwk.alg) throw new TokensmithError('ERR_CONFIG_INVALID', 'the privateKey JWK needs an "alg"');
        const { importJWK } = await import('jose');
        const imported = (await importJWK(jwk, jwk.alg)) as CryptoKey;
        return oauth.PrivateKeyJwt({ key: imported, kid: jwk.kid });
      }
      case 'none':
        return oauth.None();
      default:
        throw new TokensmithError('ERR_CONFIG_INVALID', `unknown clientAuth "${String(method)}"`);
    }
  }

  /**
   * Send a token request made by `send`, check the response and return the processed token response
   * with its timing. `process` is the oauth4webapi function matching the request.
   */
  async exchange<T extends oauth.TokenEndpointResponse>(
    send: (as: oauth.AuthorizationServer, auth: oauth.ClientAuth, opts: RequestOptions) => Promise<Response>,
    process: (as: oauth.AuthorizationServer, response: Response) => Promise<T>,
    signal?: AbortSignal,
    kind: ResponseKind = 'token',
  ): Promise<{ tokens: T; timing: ExchangeTiming }> {
    const [as, auth] = await Promise.all([this.server(), this.clientAuth()]);
    const sentAt = Date.now();
    try {
      const response = await send(as, auth, this.requestOptions(signal));
      const receivedAt = Date.now();
      const date = serverDate(response);
      // Date has one-second resolution: ignore differences below that.
      const raw = date === undefined ? 0 : date - Math.round((sentAt + receivedAt) / 2);
      const skewMs = Math.abs(raw) < 1500 ? 0 : raw;
      const tokens = await process(as, await checkResponse(response, kind));
      if (tokens.id_token) await this.verifyIdTokenSignature(as, tokens.id_token);
      return { tokens, timing: { sentAt, skewMs } };
    } catch (err) {
      throw toTokensmithError(err, 'token endpoint');
    }
  }

  /**
   * Check an ID token's signature against the server's JWKS, fetched again when the token names a
   * key it lacks (key rotation); claims are checked by oauth4webapi. See {@link IdTokenVerifier}.
   */
  async verifyIdTokenSignature(as: oauth.AuthorizationServer, idToken: string): Promise<void> {
    this.#idTokens ??= new IdTokenVerifier(this.http, this.options);
    await this.#idTokens.verify(as, idToken);
  }

  /** Revoke a token (RFC 7009) when the server has a revocation endpoint; returns whether it did. */
  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean> {
    const [as, auth] = await Promise.all([this.server(), this.clientAuth()]);
    if (!as.revocation_endpoint) return false;
    try {
      const params = new URLSearchParams({ token_type_hint: hint });
      const response = await oauth.revocationRequest(as, this.client, auth, token, {
        ...this.requestOptions(),
        additionalParameters: params,
      });
      await oauth.processRevocationResponse(await checkResponse(response, 'revocation'));
      return true;
    } catch (err) {
      throw toTokensmithError(err, 'revocation endpoint');
    }
  }

  /** Build a credential from a processed token response. */
  toCredential(
    tokens: oauth.TokenEndpointResponse,
    timing: ExchangeTiming,
    extra: { grant: string; user?: string },
  ): Credential {
    const refreshExpiresIn = tokens.refresh_expires_in;
    const claims = tokens.id_token ? decodeClaims(tokens.id_token) : undefined;
    return new Credential({
      v: 1,
      kind: 'oauth2',
      token: tokens.access_token,
      tokenType: normaliseTokenType(tokens.token_type),
      obtainedAt: timing.sentAt,
      expiresAt: expiresAt(tokens, timing),
      refreshToken: tokens.refresh_token,
      // Keycloak: 0 means the refresh token does not expire on its own (offline tokens).
      refreshExpiresAt:
        typeof refreshExpiresIn === 'number' && refreshExpiresIn > 0
          ? timing.sentAt + refreshExpiresIn * 1000
          : undefined,
      idToken: tokens.id_token,
      scope: tokens.scope ?? undefined,
      audience: this.options.audience,
      subject:
        (claims?.preferred_username as string | undefined) ??
        (claims?.sub as string | undefined) ??
        extra.user,
      clientId: this.options.clientId,
      issuer: this.serverId,
      meta: { grant: extra.grant, ...(timing.skewMs ? { clockSkewMs: timing.skewMs } : {}) },
    });
  }
}

/**
 * Expiry on the local clock. `expires_in` counts from when the server answered, so it is counted
 * from when we sent the request (a little early, never late). Without `expires_in`, a JWT access
 * token's `exp` is server time: the skew measured from the `Date` header converts it.
 */
function expiresAt(tokens: oauth.TokenEndpointResponse, timing: ExchangeTiming): number | undefined {
  if (typeof tokens.expires_in === 'number') return timing.sentAt + tokens.expires_in * 1000;
  const exp = decodeClaims(tokens.access_token)?.exp;
  return typeof exp === 'number' ? exp * 1000 - timing.skewMs : undefined;
}

function normaliseTokenType(type: string): string {
  const lower = type.toLowerCase();
  return lower === 'bearer' ? 'Bearer' : lower === 'dpop' ? 'DPoP' : type;
}

/** Claims of a JWT without verifying it (for display and expiry only), or undefined when not a JWT. */
function decodeClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part || token.split('.').length !== 3) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
