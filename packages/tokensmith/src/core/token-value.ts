/**
 * The one rule for token values (access, ID and refresh tokens, Kaltura KSs): they go into HTTP
 * headers, shell variables and terminals, so they must be header-safe, or be refused where they enter.
 * @module
 */
import { type ErrorCode, TokensmithError } from './errors.js';

// Visible ASCII (U+0021-U+007E): RFC 6749's VSCHAR without the space, a superset of RFC 6750's
// b64token, and of every JWT, KS and opaque token real servers issue.
const HEADER_SAFE = /^[\u0021-\u007e]+$/;

/**
 * True when `value` is a non-empty string of visible ASCII characters: no space, tab, CR, LF or other
 * control character, nothing outside ASCII. Such a value cannot split a header line (`Authorization:
 * Bearer abc\r\nX-Injected: yes`), break out of a shell word or drive a terminal.
 */
export function isHeaderSafeToken(value: unknown): value is string {
  return typeof value === 'string' && HEADER_SAFE.test(value);
}

/** Where a token value came from, for the error {@link checkTokenValue} throws. */
export interface TokenValueContext {
  /** Error code for a refused value (default `ERR_RESPONSE_INVALID_FIELD`). */
  code?: ErrorCode;
  /** What sent or held the value: `token endpoint`, `Kaltura session.start`, `cache entry`... */
  source?: string;
  /** HTTP status of the response that carried it. */
  status?: number;
}

/**
 * Return `value` when it is a header-safe token (see {@link isHeaderSafeToken}), otherwise throw a
 * `TokensmithError` (`ERR_RESPONSE_INVALID_FIELD` unless `context.code` says otherwise) whose `field`
 * is `field` and whose message names the field and the rule, never the value.
 *
 * @example
 * checkTokenValue(json.access_token, 'access_token', { source: 'token endpoint', status: 200 });
 */
export function checkTokenValue(value: unknown, field: string, context: TokenValueContext = {}): string {
  if (isHeaderSafeToken(value)) return value;
  const where = context.source ? `${context.source}: ` : '';
  const why =
    typeof value !== 'string' ? 'is not a string' : value === '' ? 'is empty' : 'is not header-safe';
  throw new TokensmithError(
    context.code ?? 'ERR_RESPONSE_INVALID_FIELD',
    `${where}"${field}" ${why} (a token must be visible ASCII, without spaces or control characters)`,
    {
      field,
      ...(context.source === undefined ? {} : { source: context.source }),
      ...(context.status === undefined ? {} : { status: context.status }),
    },
  );
}
