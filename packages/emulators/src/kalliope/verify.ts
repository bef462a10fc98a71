/**
 * Server-side check of an `X-authenticate` header, as the Kalliope manual describes it: official
 * regex, known tenant and user, `Created` within 5 minutes of server time, digest, nonce unused for
 * 5 minutes. The order (digest before nonce) keeps forged headers from burning real nonces.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  digestFromHash,
  parseCreated,
  parseHeader,
  passwordHash,
} from 'tokensmith/internal/kalliope/digest.js';

/** Nonces are remembered, and `Created` may differ from server time, for this long (5 minutes). */
export const WINDOW_MS = 5 * 60 * 1000;

/** Why a request was refused (emulator choice: the real server's reasons are not documented). */
export type RejectReason =
  | 'missing_header'
  | 'malformed_header'
  | 'unknown_domain'
  | 'unknown_user'
  | 'clock_skew'
  | 'bad_digest'
  | 'replayed_nonce';

/** Every {@link RejectReason}, for counters. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'missing_header',
  'malformed_header',
  'unknown_domain',
  'unknown_user',
  'clock_skew',
  'bad_digest',
  'replayed_nonce',
];

/** Used nonces with their expiry; insertion order is time order, so pruning stops at the first live one. */
export class NonceStore {
  readonly #seen = new Map<string, number>();

  /** Number of nonces remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** True when `nonce` was used within the window; otherwise remember it. */
  seen(nonce: string, now: number): boolean {
    for (const [n, expires] of this.#seen) {
      if (expires > now) break;
      this.#seen.delete(n);
    }
    const expires = this.#seen.get(nonce);
    if (expires !== undefined && expires > now) return true;
    this.#seen.delete(nonce);
    this.#seen.set(nonce, now + WINDOW_MS);
    return false;
  }
}

/** What the verifier needs to know about the PBX. */
export interface VerifyContext {
  /** Salt of a tenant domain, undefined when the tenant does not exist. */
  salt(domain: string): string | undefined;
  /** Password of a user of a tenant, undefined when there is no such user. */
  password(domain: string, username: string): string | undefined;
  nonces: NonceStore;
  now: number;
}

/** The outcome of {@link verifyHeader}. */
export type VerifyResult =
  | { ok: true; username: string; domain: string }
  | { ok: false; reason: RejectReason; message: string };

function reject(reason: RejectReason, message: string): VerifyResult {
  return { ok: false, reason, message };
}

/** Check one header value. */
export function verifyHeader(value: string | undefined, ctx: VerifyContext): VerifyResult {
  if (value === undefined || value === '') return reject('missing_header', 'X-authenticate header missing');
  const fields = parseHeader(value);
  // The manual only asks for "at least 8 hex characters"; the emulator enforces it.
  if (!fields || !/^[0-9a-fA-F]{8,}$/.test(fields.nonce)) {
    return reject('malformed_header', 'X-authenticate header is malformed');
  }
  const salt = ctx.salt(fields.domain);
  if (salt === undefined) return reject('unknown_domain', 'unknown tenant domain');
  const password = ctx.password(fields.domain, fields.username);
  if (password === undefined) return reject('unknown_user', 'authentication failed');
  const created = parseCreated(fields.created);
  if (created === undefined || Math.abs(created - ctx.now) > WINDOW_MS) {
    return reject('clock_skew', 'Created is more than 5 minutes from server time');
  }
  const expected = Buffer.from(digestFromHash(passwordHash(password, salt), fields));
  const given = Buffer.from(fields.digest);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return reject('bad_digest', 'authentication failed');
  }
  if (ctx.nonces.seen(fields.nonce, ctx.now)) return reject('replayed_nonce', 'nonce already used');
  return { ok: true, username: fields.username, domain: fields.domain };
}
