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
 * oauth4webapi codes that only its JWT checks raise; the only JWT it checks for tokensmith is the
 * ID token.
 */
const ID_TOKEN_CODES: ReadonlySet<string | undefined> = new Set([
  oauth.JWT_CLAIM_COMPARISON,
  oauth.JWT_TIMESTAMP_CHECK,
  oauth.KEY_SELECTION,
]);

/**
 * Codes oauth4webapi raises while it processes a token response that `checkResponse`
 * (response-check.ts) has passed: by then every body field it checks has been checked already
 * (`checkResponse` refuses what it would refuse there, with the same code), so each of these comes
 * from the ID token: its presence, shape, header, claims or signing algorithm (that last one has no
 * code). The codes about the response as a whole (`RESPONSE_IS_NOT_CONFORM`, `RESPONSE_IS_NOT_JSON`)
 * stay response errors.
 */
const ID_TOKEN_STEP_CODES: ReadonlySet<string | undefined> = new Set([
  ...ID_TOKEN_CODES,
  oauth.INVALID_RESPONSE,
  oauth.PARSE_ERROR,
  undefined,
]);

/** What was being done when the error arose, when the caller knows more than the error says. */
export interface ErrorStep {
  /**
   * oauth4webapi was processing a token response that passed `checkResponse`, so its
   * `OperationProcessingError`s there concern the ID token (see {@link ID_TOKEN_STEP_CODES}).
   */
  idToken?: boolean;
}

/**
 * Turn whatever oauth4webapi (or fetch, or our checks) threw into a TokensmithError with a stable
 * code, by the error's class and oauth4webapi `code` (and the step, when the caller names it);
 * never by the words of its message. Our own errors pass through unchanged.
 */
export function toTokensmithError(err: unknown, source: string, step: ErrorStep = {}): TokensmithError {
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
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // The challenge's parameters are server text: the status says enough.
    return new TokensmithError(
      'ERR_HTTP_STATUS',
      `${source} answered HTTP ${err.status} with a WWW-Authenticate challenge`,
      { status: err.status, source },
    );
  }
  if (err instanceof oauth.OperationProcessingError) {
    const idToken = (step.idToken ? ID_TOKEN_STEP_CODES : ID_TOKEN_CODES).has(err.code);
    return new TokensmithError(
      idToken ? 'ERR_ID_TOKEN_INVALID' : 'ERR_RESPONSE_INVALID',
      `${source}: ${err.message}`,
      {
        cause: err,
        source,
      },
    );
  }
  if (err instanceof oauth.UnsupportedOperationError) {
    return new TokensmithError('ERR_UNSUPPORTED', `${source}: ${err.message}`, { cause: err, source });
  }
  if (err instanceof TypeError) {
    return new TokensmithError('ERR_CONFIG_INVALID', `${source}: ${err.message}`, { cause: err, source });
  }
  return new TokensmithError('ERR_RESPONSE_INVALID', `${source}: unexpected failure`, { cause: err, source });
}
