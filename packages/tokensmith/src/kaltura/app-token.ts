/** `KalturaAppToken` as tokensmith sees it, normalized from the wire object. */
import { TokensmithError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { AppTokenHashType } from './app-token-session.js';

/** App token statuses. */
export const AppTokenStatus = Object.freeze({ DISABLED: 1, ACTIVE: 2, DELETED: 3 } as const);

/** `ACTIVE`, `DISABLED`, `DELETED` or the number. */
export function appTokenStatusName(status: number): string {
  return status === 1 ? 'DISABLED' : status === 2 ? 'ACTIVE' : status === 3 ? 'DELETED' : String(status);
}

/** Parse `active`/`disabled`/`deleted`/`1`/`2`/`3`. */
export function parseAppTokenStatus(text: string | number): number | undefined {
  const t = String(text).trim().toUpperCase();
  if (t === 'DISABLED' || t === '1') return 1;
  if (t === 'ACTIVE' || t === '2') return 2;
  if (t === 'DELETED' || t === '3') return 3;
  return undefined;
}

/**
 * An app token. `token` is the secret, present only when the server sent it; it is a
 * non-enumerable property, so logging or serializing the object never shows it.
 */
export interface AppToken {
  id: string;
  /** The secret value; registered for redaction as soon as it is read. */
  token?: string;
  partnerId?: number;
  createdAt?: number;
  updatedAt?: number;
  status: number;
  statusName: string;
  /** Absolute Unix seconds; undefined = never expires. */
  expiry?: number;
  sessionType?: number;
  sessionUserId?: string;
  /** Seconds. */
  sessionDuration?: number;
  sessionPrivileges?: string;
  hashType: AppTokenHashType;
  description?: string;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Normalize a wire `KalturaAppToken`; throws `ERR_RESPONSE_INVALID` when it has no id. */
export function toAppToken(value: unknown, what = 'Kaltura appToken'): AppToken {
  if (!value || typeof value !== 'object') {
    throw new TokensmithError('ERR_RESPONSE_INVALID', `${what}: expected a KalturaAppToken object`, {
      source: what,
    });
  }
  const v = value as Record<string, unknown>;
  const id = str(v.id);
  if (!id)
    throw new TokensmithError('ERR_RESPONSE_MISSING_FIELD', `${what}: app token has no id`, {
      field: 'id',
      source: what,
    });
  const token = str(v.token);
  registerSecret(token);
  const status = num(v.status) ?? 0;
  const hash = str(v.hashType)?.toUpperCase();
  const out: AppToken = {
    id,
    status,
    statusName: appTokenStatusName(status),
    hashType: hash === 'MD5' || hash === 'SHA256' || hash === 'SHA512' ? hash : 'SHA1',
  };
  // Non-enumerable: readable as `t.token`, but JSON.stringify, util.inspect and spreads leave it out.
  if (token !== undefined) Object.defineProperty(out, 'token', { value: token, enumerable: false });
  const set = <K extends keyof AppToken>(k: K, val: AppToken[K] | undefined) => {
    if (val !== undefined) out[k] = val;
  };
  set('partnerId', num(v.partnerId));
  set('createdAt', num(v.createdAt));
  set('updatedAt', num(v.updatedAt));
  const expiry = num(v.expiry);
  set('expiry', expiry ? expiry : undefined);
  set('sessionType', num(v.sessionType));
  set('sessionUserId', str(v.sessionUserId));
  set('sessionDuration', num(v.sessionDuration));
  set('sessionPrivileges', str(v.sessionPrivileges));
  set('description', str(v.description));
  return out;
}

/** A plain copy without the secret `token`, for printing. */
export function withoutToken(token: AppToken): Omit<AppToken, 'token'> {
  const { token: _secret, ...rest } = token;
  return rest;
}

/** A plain copy that includes the secret `token` (for showing it once after creation). */
export function withToken(token: AppToken): AppToken & { token?: string } {
  return token.token === undefined ? { ...token } : { ...token, token: token.token };
}
