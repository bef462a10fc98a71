/**
 * Bounds for every time value a server, a token or a cache file gives us. A lifetime beyond
 * {@link MAX_LIFETIME_SECONDS} is clamped to it; a negative or non-finite one is refused; formatting a
 * time never throws. Without these, `expires_in: 1e13` gave an expiry no `Date` can hold and every
 * later `toISOString()` threw "Invalid time value".
 * @module
 */
import { TokensmithError } from './errors.js';

/** Longest lifetime believed for any credential: 10 years of 365 days (315,360,000 s). */
export const MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;
/** {@link MAX_LIFETIME_SECONDS} in milliseconds. */
export const MAX_LIFETIME_MS = MAX_LIFETIME_SECONDS * 1000;
/** Largest distance from the epoch a `Date` can hold, ms (ECMA-262: ±100,000,000 days). */
export const MAX_TIME_MS = 8.64e15;

/** Where a time value came from, for the error a refused one gets. */
export interface TimeValueContext {
  /** What sent it: `token endpoint`, `Kaltura appToken.startSession`... */
  source?: string;
  /** HTTP status of the response that carried it. */
  status?: number;
}

/**
 * A lifetime in seconds as a server announced it (`expires_in`, `refresh_expires_in`, a device code's
 * `expires_in`): refused with `ERR_RESPONSE_INVALID_FIELD` naming `field` when it is not a finite
 * number ≥ 0, clamped to `max` (default {@link MAX_LIFETIME_SECONDS}) when larger.
 */
export function boundLifetimeSeconds(
  value: number,
  field: string,
  context: TimeValueContext = {},
  max = MAX_LIFETIME_SECONDS,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    const where = context.source ? `${context.source} response field ` : '';
    throw new TokensmithError('ERR_RESPONSE_INVALID_FIELD', `${where}"${field}" is not a number of seconds`, {
      field,
      ...(context.source === undefined ? {} : { source: context.source }),
      ...(context.status === undefined ? {} : { status: context.status }),
    });
  }
  return Math.min(value, max);
}

/**
 * An absolute expiry (epoch ms) kept between 0 and {@link MAX_LIFETIME_MS} after `from` (when the
 * credential was obtained). `expiresAt` must be a number; NaN stays NaN for the caller to refuse.
 */
export function clampExpiry(expiresAt: number, from: number): number {
  return Math.max(0, Math.min(expiresAt, from + MAX_LIFETIME_MS));
}

/** True when `ms` is a finite epoch time a `Date` can hold. */
export function isTimeInRange(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS;
}

/** `ms` (epoch) in ISO 8601, or undefined when no `Date` can hold it. Never throws. */
export function isoTime(ms: number): string | undefined {
  return isTimeInRange(ms) ? new Date(ms).toISOString() : undefined;
}
