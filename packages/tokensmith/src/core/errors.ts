import { redact } from './redact.js';
import { terminalSafe } from './terminal-text.js';

/**
 * Every stable error code tokensmith throws. Codes never change meaning once released;
 * match on them, never on messages.
 */
export type ErrorCode =
  // configuration and usage
  | 'ERR_CONFIG_INVALID'
  | 'ERR_DEPENDENCY_MISSING'
  | 'ERR_INSECURE_HTTP'
  | 'ERR_UNSUPPORTED'
  // transport
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_HTTP_STATUS'
  | 'ERR_REDIRECT_REFUSED'
  // malformed responses
  | 'ERR_RESPONSE_EMPTY'
  | 'ERR_RESPONSE_NOT_JSON'
  | 'ERR_RESPONSE_TOO_LARGE'
  | 'ERR_RESPONSE_MISSING_FIELD'
  | 'ERR_RESPONSE_INVALID_FIELD'
  | 'ERR_RESPONSE_INVALID'
  | 'ERR_ID_TOKEN_INVALID'
  | 'ERR_TOKEN_MALFORMED'
  // OAuth 2 error responses (RFC 6749 §5.2, RFC 8628 §3.5, RFC 8693)
  | 'ERR_OAUTH_INVALID_GRANT'
  | 'ERR_OAUTH_INVALID_CLIENT'
  | 'ERR_OAUTH_INVALID_REQUEST'
  | 'ERR_OAUTH_INVALID_SCOPE'
  | 'ERR_OAUTH_INVALID_TARGET'
  | 'ERR_OAUTH_UNAUTHORIZED_CLIENT'
  | 'ERR_OAUTH_UNSUPPORTED_GRANT_TYPE'
  | 'ERR_OAUTH_ACCESS_DENIED'
  | 'ERR_OAUTH_EXPIRED_TOKEN'
  | 'ERR_OAUTH_ERROR'
  // interactive flows
  | 'ERR_LOGIN_REQUIRED'
  | 'ERR_LIFETIME_TOO_SHORT'
  | 'ERR_STATE_MISMATCH'
  | 'ERR_AUTHORIZATION_DENIED'
  // requests the proxy refuses to forward
  | 'ERR_HOST_NOT_ALLOWED'
  | 'ERR_ORIGIN_NOT_ALLOWED'
  | 'ERR_PATH_INVALID'
  // caches
  | 'ERR_CACHE_CORRUPT'
  | 'ERR_CACHE_UNAVAILABLE'
  | 'ERR_LOCK_TIMEOUT'
  // vendors
  | 'ERR_KS_INVALID'
  | 'ERR_KALTURA_API'
  | 'ERR_KALLIOPE_AUTH';

/** Extra, secret-free facts an error may carry. */
export interface ErrorDetails {
  /** HTTP status of the response that caused the error, when there was one. */
  status?: number;
  /** Name of the response field that was missing or malformed. */
  field?: string;
  /** The OAuth `error` value (RFC 6749 §5.2), when the server sent one. */
  error?: string;
  /** The OAuth `error_description`, redacted. */
  error_description?: string;
  /** Vendor error code kept as sent (for example Kaltura's `INVALID_KS`). */
  vendorCode?: string;
  /** Where the error came from (`token endpoint`, `cache file`, ...). */
  source?: string;
}

/**
 * The one error type tokensmith throws. `message` and `cause` are redacted when the error is built,
 * so no registered secret (see {@link registerSecret}) can reach a log, a terminal or a stack trace;
 * they and the server's `error`, `error_description` and `vendorCode` are also made terminal-safe
 * (see {@link terminalSafe}), since they often quote a server, which may send escape sequences.
 */
export class TokensmithError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** HTTP status, when the error came from a response. */
  readonly status?: number;
  /** Malformed or missing response field, when known. */
  readonly field?: string;
  /** OAuth `error` value, when the server sent one. */
  readonly error?: string;
  /** OAuth `error_description`, when the server sent one (redacted). */
  readonly error_description?: string;
  /** Vendor error code (Kaltura `code`, ...). */
  readonly vendorCode?: string;
  /** Where the error came from. */
  readonly source?: string;

  constructor(code: ErrorCode, message: string, options: ErrorDetails & { cause?: unknown } = {}) {
    super(
      redact(terminalSafe(message)),
      options.cause === undefined ? undefined : { cause: redactCause(options.cause) },
    );
    this.name = 'TokensmithError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.field !== undefined) this.field = options.field;
    if (options.error !== undefined) this.error = redact(terminalSafe(options.error));
    if (options.error_description !== undefined)
      this.error_description = redact(terminalSafe(options.error_description));
    if (options.vendorCode !== undefined) this.vendorCode = terminalSafe(options.vendorCode);
    if (options.source !== undefined) this.source = options.source;
  }
}

/** True when `err` is a {@link TokensmithError}, optionally with one of `codes`. */
export function isTokensmithError(err: unknown, ...codes: ErrorCode[]): err is TokensmithError {
  return err instanceof TokensmithError && (codes.length === 0 || codes.includes(err.code));
}

/** Errors from libraries may quote request data; scrub their text before we keep them as `cause`. */
function redactCause(cause: unknown): unknown {
  if (cause instanceof TokensmithError) return cause;
  if (cause instanceof Error) {
    const copy = new Error(redact(terminalSafe(cause.message)));
    copy.name = cause.name;
    copy.stack = redact(terminalSafe(cause.stack ?? '', { multiline: true }));
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') (copy as Error & { code: string }).code = code;
    if (cause.cause !== undefined) (copy as Error).cause = redactCause(cause.cause);
    return copy;
  }
  if (typeof cause === 'string') return redact(terminalSafe(cause));
  return undefined;
}
