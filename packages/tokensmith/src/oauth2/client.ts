import { inspect } from 'node:util';
import * as oauth from 'oauth4webapi';
import type { Credential } from '../core/credential.js';
import { type DPoPJwk, DPoPKey, dpopKeyOf } from '../core/dpop.js';
import { TokensmithError } from '../core/errors.js';
import { assertSecureUrl, createHttpClient, type FetchLike } from '../core/http.js';
import { redactValue, registerSecret } from '../core/redact.js';
import { lazyTlsFetch } from '../core/tls-lazy.js';
import { makeClientAuth } from './client-auth.js';
import { resolveServer } from './discovery.js';
import { IdTokenVerifier } from './id-token.js';
import type { OAuth2CommonOptions } from './options.js';
import { type RequestOptions, requestOptions } from './request-options.js';
import type { ResponseKind } from './response-check.js';
import { revokeToken } from './revocation.js';
import { tokensToCredential } from './token-credential.js';
import { type ExchangeTiming, requestTokens, type SendTokenRequest } from './token-request.js';

/**
 * One OAuth 2 client at one authorization server: holds its options and HTTP client, and what it
 * resolves once (server metadata, client authentication, the ID token key set). The work is done
 * by one module per concern: discovery.ts, client-auth.ts, token-request.ts, id-token.ts,
 * revocation.ts and token-credential.ts.
 */
export class OAuth2Client {
  readonly options: OAuth2CommonOptions;
  readonly client: oauth.Client;
  readonly http: FetchLike;
  #server: Promise<oauth.AuthorizationServer> | undefined;
  #clientAuth: Promise<oauth.ClientAuth> | undefined;
  #idTokens: IdTokenVerifier | undefined;
  #dpopKey: Promise<DPoPKey | undefined> | undefined;
  readonly #dpopHandles = new WeakMap<DPoPKey, oauth.DPoPHandle>();

  constructor(options: OAuth2CommonOptions) {
    if (!options.clientId) throw new TokensmithError('ERR_CONFIG_INVALID', 'clientId is required');
    if (!options.issuer && !options.tokenEndpoint) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'either issuer or tokenEndpoint is required');
    }
    registerSecret(options.clientSecret);
    this.options = options;
    // With a client certificate, the token, revocation and introspection calls go to the server's
    // mTLS endpoint aliases when it lists them (RFC 8705 §5).
    this.client = options.tls?.cert
      ? { client_id: options.clientId, use_mtls_endpoint_aliases: true }
      : { client_id: options.clientId };
    // oauth4webapi sends `redirect: 'manual'`; this client follows redirects within each request's
    // origin (a same-origin 307 keeps the client secret), and refuses any other as ERR_REDIRECT_REFUSED.
    this.http = createHttpClient({
      fetch: options.fetch ?? (options.tls ? lazyTlsFetch(options.tls) : undefined),
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
    const tls = this.options.tls && {
      ca: this.options.tls.ca ? '[CA bundle]' : undefined,
      cert: this.options.tls.cert ? '[client certificate]' : undefined,
      key: this.options.tls.key ? '[redacted]' : undefined,
    };
    const dpop = this.options.dpop ? '[DPoP key]' : undefined;
    return redactValue({ ...this.options, fetch: undefined, tls, dpop });
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
    return requestOptions(this.options, this.http, signal);
  }

  /** Server metadata: discovered once (OIDC, then RFC 8414), with explicit endpoints taking precedence. */
  server(): Promise<oauth.AuthorizationServer> {
    this.#server ??= resolveServer(this.options, this.requestOptions()).catch((err) => {
      this.#server = undefined; // a later call may succeed (server was down)
      throw err;
    });
    return this.#server;
  }

  /** The client authentication oauth4webapi applies to each request. */
  clientAuth(): Promise<oauth.ClientAuth> {
    this.#clientAuth ??= makeClientAuth(this.options);
    return this.#clientAuth;
  }

  /**
   * Send a token request made by `send`, check the response and return the processed token response
   * with its timing. `process` is the oauth4webapi function matching the request.
   */
  async exchange<T extends oauth.TokenEndpointResponse>(
    send: SendTokenRequest,
    process: (as: oauth.AuthorizationServer, response: Response) => Promise<T>,
    signal?: AbortSignal,
    kind: ResponseKind = 'token',
    boundTo?: DPoPJwk,
  ): Promise<{ tokens: T; timing: ExchangeTiming }> {
    const [as, auth, key] = await Promise.all([this.server(), this.clientAuth(), this.dpopKey(boundTo)]);
    const request = this.requestOptions(signal);
    const verifyIdToken = (s: oauth.AuthorizationServer, t: string) => this.verifyIdTokenSignature(s, t);
    const dpop = key && { key, handle: this.#dpopHandle(key) };
    return requestTokens({ as, auth, request, verifyIdToken, dpop }, send, process, kind);
  }

  /**
   * The DPoP key for a token request: the one `boundTo` names (a refresh keeps the binding), else
   * the configured one (generated once per client), else none.
   */
  async dpopKey(boundTo?: DPoPJwk): Promise<DPoPKey | undefined> {
    if (!this.options.dpop) return undefined;
    if (boundTo) return DPoPKey.fromJwk(boundTo);
    this.#dpopKey ??= dpopKeyOf(this.options.dpop).catch((err) => {
      this.#dpopKey = undefined;
      throw err;
    });
    return this.#dpopKey;
  }

  /** oauth4webapi's proof maker for `key` (one per key: it keeps the server's nonce). */
  #dpopHandle(key: DPoPKey): oauth.DPoPHandle {
    let handle = this.#dpopHandles.get(key);
    if (!handle) {
      handle = oauth.DPoP(this.client, { privateKey: key.privateKey, publicKey: key.publicKey });
      this.#dpopHandles.set(key, handle);
    }
    return handle;
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
    return revokeToken(as, this.client, auth, this.requestOptions(), token, hint);
  }

  /** Build a credential from a processed token response. */
  toCredential(
    tokens: oauth.TokenEndpointResponse,
    timing: ExchangeTiming,
    extra: { grant: string; user?: string },
  ): Credential {
    return tokensToCredential(this.options, this.serverId, tokens, timing, extra);
  }
}
