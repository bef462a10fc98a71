/**
 * Which token of a credential a caller sends: the access token (the default), or the OpenID ID token
 * that the Kubernetes OIDC authenticator and many gateways want. One rule for the CLI and the proxy:
 * an ID token is renewed as an access token is, in the same refresh window.
 * @module
 */
import type { Credential } from './credential.js';
import { TokensmithError } from './errors.js';
import type { GetCredentialOptions, TokenManager } from './manager.js';

/** The tokens a credential can give. */
export const TOKEN_TYPES = ['access', 'id'] as const;
/** One of {@link TOKEN_TYPES}. */
export type TokenType = (typeof TOKEN_TYPES)[number];

/** True when `value` names a {@link TokenType}. */
export function isTokenType(value: unknown): value is TokenType {
  return (TOKEN_TYPES as readonly unknown[]).includes(value);
}

/**
 * The token of `type` that `credential` holds. An absent ID token is `ERR_RESPONSE_MISSING_FIELD`
 * (field `id_token`): the server sends one only for the `openid` scope.
 */
export function tokenOf(credential: Credential, type: TokenType): string {
  if (type === 'access') return credential.token;
  if (credential.idToken === undefined) {
    throw new TokensmithError(
      'ERR_RESPONSE_MISSING_FIELD',
      'the server sent no ID token (ask for the "openid" scope)',
      { field: 'id_token' },
    );
  }
  return credential.idToken;
}

/** Expiry of the token of `type`, epoch ms (undefined when unknown). */
export function expiryOf(credential: Credential, type: TokenType): number | undefined {
  return type === 'access' ? credential.expiresAt : credential.idTokenExpiresAt;
}

/** Headers that carry the token of `type`: the credential's own, or `authorization: Bearer <ID token>`. */
export function headersOf(credential: Credential, type: TokenType): Record<string, string> {
  return type === 'access' ? credential.headers : { authorization: `Bearer ${tokenOf(credential, type)}` };
}

/**
 * When the token of `type` should be renewed, epoch ms: `windowMs` before its expiry, the window capped
 * at half its lifetime (the manager's rule), or undefined when its expiry is unknown.
 */
export function renewAt(credential: Credential, type: TokenType, windowMs: number): number | undefined {
  const expiresAt = expiryOf(credential, type);
  if (expiresAt === undefined) return undefined;
  return expiresAt - Math.min(windowMs, Math.max(0, (expiresAt - credential.obtainedAt) / 2));
}

/**
 * A credential from `manager` whose token of `type` is fresh. For `id`, a credential whose access
 * token is fresh but whose ID token is not (servers may give them different lifetimes) is renewed
 * once more, through the manager (`forceRefresh` with this access token as the rejected one, so
 * concurrent callers and processes still cause one renewal). Throws when no ID token comes.
 */
export async function credentialFor(
  manager: TokenManager,
  type: TokenType,
  options: GetCredentialOptions = {},
  now: () => number = Date.now,
): Promise<Credential> {
  const credential = await manager.getCredential(options);
  if (type === 'access') return credential;
  const due = renewAt(credential, type, manager.refreshWindowMs);
  if (credential.idToken !== undefined && (due === undefined || due > now())) return credential;
  const renewed = await manager.getCredential({
    forceRefresh: true,
    rejectedToken: credential.token,
    signal: options.signal,
  });
  tokenOf(renewed, type);
  const expiresAt = expiryOf(renewed, type);
  if (expiresAt !== undefined && expiresAt <= now()) {
    throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', 'the renewed ID token has already expired', {
      field: 'id_token',
    });
  }
  return renewed;
}
