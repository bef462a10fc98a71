import { createRemoteJWKSet, jwtVerify } from 'jose';
import { TokensmithError } from 'tokensmith/internal/core/errors.js';

/**
 * Verify an ID token as a relying party must (signature against the issuer's published keys, `iss`,
 * `aud`, `exp`) and describe the result, so the demo claims "verified" only after it verified.
 * Throws `ERR_ID_TOKEN_INVALID` when there is no token, no key to check it with, or a check fails.
 */
export async function describeVerifiedIdToken(
  idToken: string | undefined,
  issuer: string,
  clientId: string,
): Promise<string> {
  const fail = (why: string, cause?: unknown) =>
    new TokensmithError('ERR_ID_TOKEN_INVALID', `the ID token cannot be verified: ${why}`, { cause });
  if (!idToken) throw fail('the server sent none');
  const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
  const jwksUri = discovery.ok ? ((await discovery.json()) as { jwks_uri?: unknown }).jwks_uri : undefined;
  if (typeof jwksUri !== 'string') throw fail('the server publishes no jwks_uri');
  try {
    const { protectedHeader } = await jwtVerify(idToken, createRemoteJWKSet(new URL(jwksUri)), {
      issuer,
      audience: clientId,
    });
    return `ID token verified (${protectedHeader.alg}, key ${protectedHeader.kid ?? 'without kid'})`;
  } catch (err) {
    throw fail('its signature or claims are not valid', err);
  }
}
