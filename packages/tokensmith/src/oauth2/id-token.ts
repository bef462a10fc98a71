// jose is imported when first needed: a CLI run served from the cache never needs it (~40 ms).
import type { createLocalJWKSet, JSONWebKeySet } from 'jose';
import type * as oauth from 'oauth4webapi';
import { TokensmithError } from '../core/errors.js';
import { assertSecureUrl, type FetchLike } from '../core/http.js';
import { getLogger } from '../core/log.js';
import { toTokensmithError } from './oauth-error.js';
import type { OAuth2CommonOptions } from './options.js';
import { checkResponse } from './response-check.js';

const log = getLogger('oauth2');

type KeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * Checks ID token signatures (and again `iss`, `aud` and `exp`) against the server's JWKS. The key
 * set is fetched when first needed and once more when a token names a key the set does not hold,
 * which is how a server's key rotation shows (the same rule as jose's `createRemoteJWKSet`, through
 * our own HTTP client, its limits and its error codes). Claims such as `nonce` are checked by
 * oauth4webapi when it processes the token response.
 */
export class IdTokenVerifier {
  readonly #http: FetchLike;
  readonly #options: Pick<OAuth2CommonOptions, 'clientId' | 'allowInsecureHttp'>;
  #keys: Promise<KeySet | undefined> | undefined;

  constructor(http: FetchLike, options: Pick<OAuth2CommonOptions, 'clientId' | 'allowInsecureHttp'>) {
    this.#http = http;
    this.#options = options;
  }

  /** Throws `ERR_ID_TOKEN_INVALID` unless `idToken` is signed by a key of `as`'s JWKS and its claims hold. */
  async verify(as: oauth.AuthorizationServer, idToken: string): Promise<void> {
    const loaded = this.#load(as);
    const keys = await loaded;
    if (!keys) {
      log.warn('no jwks_uri known: the ID token signature cannot be checked', { issuer: as.issuer });
      return;
    }
    const { jwtVerify, errors } = await import('jose');
    const check = (set: KeySet) =>
      jwtVerify(idToken, set, { issuer: as.issuer, audience: this.#options.clientId, clockTolerance: 30 });
    try {
      await check(keys);
      return;
    } catch (cause) {
      if (!(cause instanceof errors.JWKSNoMatchingKey)) throw invalid(cause);
    }
    // The server may have rotated its keys: fetch the set again, unless a check running at the same
    // time already did. One refetch per token, so a stream of unknown kids cannot make it loop.
    if (this.#keys === loaded) this.#keys = undefined;
    const fresh = await this.#load(as);
    try {
      if (!fresh) throw new Error('the JWKS is gone');
      await check(fresh);
    } catch (cause) {
      throw invalid(cause);
    }
  }

  #load(as: oauth.AuthorizationServer): Promise<KeySet | undefined> {
    if (this.#keys) return this.#keys;
    const loading = this.#fetchKeys(as).catch((err) => {
      // A failed fetch is not kept: the next token tries again (the server was down).
      if (this.#keys === loading) this.#keys = undefined;
      throw toTokensmithError(err, 'JWKS endpoint');
    });
    this.#keys = loading;
    return loading;
  }

  async #fetchKeys(as: oauth.AuthorizationServer): Promise<KeySet | undefined> {
    if (!as.jwks_uri) return undefined;
    const url = assertSecureUrl(String(as.jwks_uri), this.#options.allowInsecureHttp, 'jwks_uri');
    const response = await this.#http(url, { headers: { accept: 'application/json' } });
    const checked = await checkResponse(response, 'jwks');
    const { createLocalJWKSet } = await import('jose');
    return createLocalJWKSet((await checked.json()) as JSONWebKeySet);
  }
}

function invalid(cause: unknown): TokensmithError {
  return new TokensmithError('ERR_ID_TOKEN_INVALID', 'the ID token signature or claims are not valid', {
    cause,
    source: 'token endpoint',
  });
}
