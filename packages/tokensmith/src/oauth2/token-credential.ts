import type * as oauth from 'oauth4webapi';
import { Credential } from '../core/credential.js';
import type { OAuth2CommonOptions } from './options.js';
import type { ExchangeTiming } from './token-request.js';

/**
 * A credential from a processed token response: expiry on the local clock, the refresh token and
 * its expiry, the ID token and the subject it names (else `extra.user`).
 */
export function tokensToCredential(
  options: Pick<OAuth2CommonOptions, 'audience' | 'clientId'>,
  serverId: string,
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
    audience: options.audience,
    subject:
      (claims?.preferred_username as string | undefined) ?? (claims?.sub as string | undefined) ?? extra.user,
    clientId: options.clientId,
    issuer: serverId,
    meta: { grant: extra.grant, ...(timing.skewMs ? { clockSkewMs: timing.skewMs } : {}) },
    // Kept only when the server bound the token to the key (it may answer Bearer).
    ...(timing.dpopKey && tokens.token_type.toLowerCase() === 'dpop'
      ? { dpopKey: timing.dpopKey.toJwk() }
      : {}),
  });
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
