/** `KalturaSessionInfo` (what `appToken.startSession` and `session.get` return), checked field by field. */
import { TokensmithError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
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

/** Validate a `KalturaSessionInfo` object; the KS is registered as a secret at once. */
export function parseSessionInfo(value: unknown, what: string): SessionInfo {
  if (!value || typeof value !== 'object') {
    throw new TokensmithError('ERR_RESPONSE_INVALID', `${what}: expected a KalturaSessionInfo object`, {
      source: what,
    });
  }
  const ks = requireString(value, 'ks', what);
  registerSecret(ks, 'transient');
  const v = value as Record<string, unknown>;
  return {
    ks,
    partnerId: requireNumber(value, 'partnerId', what),
    userId: v.userId === null || v.userId === undefined ? '' : String(v.userId),
    expiry: requireNumber(value, 'expiry', what),
    sessionType:
      v.sessionType === undefined || v.sessionType === null ? 0 : requireNumber(value, 'sessionType', what),
    privileges: typeof v.privileges === 'string' ? v.privileges : '',
  };
}

/**
 * Local epoch ms at which a server-clock Unix expiry is reached: corrected by the `Date` header
 * (1 s resolution, so one second is taken off to stay on the safe side).
 */
export function localExpiry(
  expirySeconds: number,
  serverTime: number | undefined,
  receivedAt: number,
): number {
  if (serverTime === undefined) return expirySeconds * 1000;
  return receivedAt + (expirySeconds * 1000 - serverTime) - 1000;
}
