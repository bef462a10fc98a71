import * as oauth from 'oauth4webapi';
import { type ErrorCode, isTokensmithError, TokensmithError } from '../core/errors.js';

const KNOWN: Record<string, ErrorCode> = {
  invalid_grant: 'ERR_OAUTH_INVALID_GRANT',
  invalid_client: 'ERR_OAUTH_INVALID_CLIENT',
  invalid_request: 'ERR_OAUTH_INVALID_REQUEST',
  invalid_scope: 'ERR_OAUTH_INVALID_SCOPE',
  invalid_target: 'ERR_OAUTH_INVALID_TARGET',
  unauthorized_client: 'ERR_OAUTH_UNAUTHORIZED_CLIENT',
  unsupported_grant_type: 'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE',
  access_denied: 'ERR_OAUTH_ACCESS_DENIED',
  expired_token: 'ERR_OAUTH_EXPIRED_TOKEN',
};

/** A TokensmithError for an OAuth error response body (RFC 6749 §5.2); `suffix` ends the message. */
export function oauthError(
  body: Record<string, unknown>,
  status: number,
  source: string,
  suffix = '',
): TokensmithError {
  const error = String(body.error);
  const description = typeof body.error_description === 'string' ? body.error_description : undefined;
  const code = (Object.hasOwn(KNOWN, error) ? KNOWN[error] : undefined) ?? 'ERR_OAUTH_ERROR';
  return new TokensmithError(
    code,
    `${source} refused the request: ${error}${description ? ` (${description})` : ''}${suffix}`,
    {
      status,
      error,
      error_description: description,
      source,
    },
  );
}

/**
 * Turn whatever oauth4webapi (or fetch, or our checks) threw into a TokensmithError with a stable
 * code. Our own errors pass through unchanged.
 */
export function toTokensmithError(err: unknown, source: string): TokensmithError {
  if (isTokensmithError(err)) return err;
  if (err instanceof oauth.ResponseBodyError) {
    return oauthError({ error: err.error, error_description: err.error_description }, err.status, source);
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return new TokensmithError(
      'ERR_AUTHORIZATION_DENIED',
      `the authorization server refused the login: ${err.error}`,
      {
        error: err.error,
        error_description: err.error_description,
        source: 'authorization endpoint',
      },
    );
  }
  if (err instanceof oauth.OperationProcessingError) {
    const idToken = /id_token|ID Token|JWT/i.test(err.message) || err.code === oauth.JWT_TIMESTAMP_CHECK;
    if (err.code === oauth.JWT_CLAIM_COMPARISON || idToken) {
      return new TokensmithError('ERR_ID_TOKEN_INVALID', `${source}: ${err.message}`, { cause: err, source });
    }
    return new TokensmithError('ERR_RESPONSE_INVALID', `${source}: ${err.message}`, { cause: err, source });
  }
  if (err instanceof oauth.UnsupportedOperationError) {
    return new TokensmithError('ERR_UNSUPPORTED', `${source}: ${err.message}`, { cause: err, source });
  }
  if (err instanceof TypeError) {
    return new TokensmithError('ERR_CONFIG_INVALID', `${source}: ${err.message}`, { cause: err, source });
  }
  return new TokensmithError('ERR_RESPONSE_INVALID', `${source}: unexpected failure`, { cause: err, source });
}
