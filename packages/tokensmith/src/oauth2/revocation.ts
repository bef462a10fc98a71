import * as oauth from 'oauth4webapi';
import { toTokensmithError } from './oauth-error.js';
import type { RequestOptions } from './request-options.js';
import { checkResponse } from './response-check.js';

/**
 * Revoke a token (RFC 7009) at `as`'s revocation endpoint, when it has one; returns whether it did.
 * A refusal throws the endpoint's error code.
 */
export async function revokeToken(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  request: RequestOptions,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<boolean> {
  if (!as.revocation_endpoint) return false;
  try {
    const params = new URLSearchParams({ token_type_hint: hint });
    const response = await oauth.revocationRequest(as, client, auth, token, {
      ...request,
      additionalParameters: params,
    });
    await oauth.processRevocationResponse(await checkResponse(response, 'revocation'));
    return true;
  } catch (err) {
    throw toTokensmithError(err, 'revocation endpoint');
  }
}
