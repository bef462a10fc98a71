/** What KS v1 and v2 share: the base64 forms the server writes and reads, SHA-1, secrets, errors. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TokensmithError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';

/** The marker a v2 KS starts with once base64-decoded. */
export const V2_PREFIX = 'v2|';

/** `ERR_KS_INVALID` with `message`. */
export function invalid(message: string, cause?: unknown): TokensmithError {
  return new TokensmithError('ERR_KS_INVALID', message, { cause, source: 'ks' });
}

/** Raw SHA-1. */
export function sha1(data: string | Buffer): Buffer {
  return createHash('sha1').update(data).digest();
}

/** Standard base64 → URL-safe, keeping `=` padding (PHP, Python and Java all keep it). */
export function base64UrlEncode(buf: Buffer): string {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The server's strict `base64_decode` after undoing the URL-safe alphabet. */
export function base64Decode(ks: string): Buffer {
  const std = ks.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!std || !/^[A-Za-z0-9+/]+={0,2}$/.test(std)) throw invalid('KS is not base64');
  const padded = std.length % 4 === 0 ? std : std + '='.repeat((4 - (std.length % 4)) % 4);
  if (padded.length % 4 !== 0) throw invalid('KS has a broken base64 length');
  return Buffer.from(padded, 'base64');
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The admin secrets to try, registered for redaction; empty ones dropped. */
export function secretsOf(opt: string | readonly string[] | undefined): string[] {
  const list = opt === undefined ? [] : typeof opt === 'string' ? [opt] : [...opt];
  for (const s of list) registerSecret(s);
  return list.filter((s) => s.length > 0);
}
