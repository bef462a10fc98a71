/** `KalturaSessionInfo` (what `appToken.startSession` and `session.get` return), checked field by field. */
import { TokensmithError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { MAX_LIFETIME_MS } from '../core/time-bounds.js';
import { checkTokenValue } from '../core/token-value.js';
import { requireNumber, requireString } from './client.js';

/** A started session as the server describes it. */
export interface SessionInfo {
  ks: string;
  partnerId: number;
  userId: string;
  /** Absolute expiry, Unix seconds (server clock). */
  expiry: number;
  sessionType: number;
  privileges: string;
}

/**
 * Validate a `KalturaSessionInfo` object; the KS is registered as a secret at once, then must be
 * header-safe (`checkTokenValue`), and `expiry` must not be negative (`ERR_RESPONSE_INVALID_FIELD`).
 */
export function parseSessionInfo(value: unknown, what: string): SessionInfo {
  if (!value || typeof value !== 'object') {
    throw new TokensmithError('ERR_RESPONSE_INVALID', `${what}: expected a KalturaSessionInfo object`, {
      source: what,
    });
  }
  const ks = requireString(value, 'ks', what);
  registerSecret(ks, 'transient');
  checkTokenValue(ks, 'ks', { source: what });
  const v = value as Record<string, unknown>;
  const expiry = requireNumber(value, 'expiry', what);
  if (expiry < 0) {
    throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', `${what}: "expiry" is negative`, {
      field: 'expiry',
      source: what,
    });
  }
  return {
    ks,
    partnerId: requireNumber(value, 'partnerId', what),
    userId: v.userId === null || v.userId === undefined ? '' : String(v.userId),
    expiry,
    sessionType:
      v.sessionType === undefined || v.sessionType === null ? 0 : requireNumber(value, 'sessionType', what),
    privileges: typeof v.privileges === 'string' ? v.privileges : '',
  };
}

/**
 * Local epoch ms at which a server-clock Unix expiry is reached: corrected by the `Date` header
 * (1 s resolution, so one second is taken off to stay on the safe side). The lifetime this gives is
 * kept between 0 and 10 years (`MAX_LIFETIME_MS`), so neither a huge `expiry` nor an absurd `Date`
 * header (year 9999) can produce a time no `Date` holds.
 */
export function localExpiry(
  expirySeconds: number,
  serverTime: number | undefined,
  receivedAt: number,
): number {
  const lifetimeMs = expirySeconds * 1000 - (serverTime ?? receivedAt);
  const bounded = Number.isNaN(lifetimeMs) ? 0 : Math.min(Math.max(lifetimeMs, 0), MAX_LIFETIME_MS);
  return receivedAt + bounded - (serverTime === undefined ? 0 : 1000);
}
