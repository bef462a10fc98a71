/**
 * KS (Kaltura Session) v1 and v2: encode, decode, verify and inspect, exactly as the server's
 * `kSessionBase` builds and parses them.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';
import { TokensmithError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { isoTime } from '../core/time-bounds.js';
import { httpBuildQuery, parseStr } from './php-urlencode.js';
import { check as checkPrivileges, type Privilege, parse as parsePrivileges } from './privileges.js';
import { sessionTypeName } from './session-type.js';

/** Options for {@link encode}. */
export interface KsEncodeOptions {
  /** KS format; 2 (encrypted) by default. */
  version?: 1 | 2;
  /** The partner's admin secret (signs v1, encrypts v2). */
  adminSecret: string;
  partnerId: number;
  /** Session user; `''` by default. */
  userId?: string;
  /** 0 = USER (default), 2 = ADMIN. */
  type?: number;
  /** Lifetime in seconds from now (default 86400). Ignored when `validUntil` is given. */
  expiry?: number;
  /** Absolute expiry, Unix seconds. */
  validUntil?: number;
  /** Privileges string, e.g. `setrole:12,urirestrict:/api_v3/service/media/*`. */
  privileges?: string;
  masterPartnerId?: number;
  additionalData?: string;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Fixed randomness for test vectors: 16 bytes for v2, an integer for v1's `rand`. */
  random?: Buffer | number;
}

/** What a KS holds. */
export interface DecodedKs {
  version: 1 | 2;
  partnerId: number;
  /** Absolute expiry, Unix seconds. */
  validUntil: number;
  /** 0 USER, 2 ADMIN (1 internal widget). */
  type: number;
  userId: string;
  /** Privileges as the server rebuilds them (v2: `k:v`, `k` for empty values, `all:*` as `*`). */
  privileges: string;
  masterPartnerId?: string;
  additionalData?: string;
  /** v1 only: the second `info` field. */
  partnerPattern?: string;
  /** v1: the `rand` field; v2: the 16 random bytes as hex. */
  random: string;
  /** True when checked against a secret and it matched; undefined when no secret was given (v1). */
  signatureValid: boolean | undefined;
}

/** Options for {@link decode} and {@link inspect}. */
export interface KsDecodeOptions {
  /** The admin secret, or several (the server tries each of a partner's secrets). */
  adminSecret?: string | readonly string[];
  /** Clock for `expired`, epoch ms (inspect only). */
  now?: () => number;
}

/** Result of {@link inspect}: a printable, secret-free description. */
export interface KsInspection {
  version: 1 | 2;
  partnerId: number;
  /** False for a v2 KS read without the right secret: only version and partner are known then. */
  readable: boolean;
  type?: number;
  typeName?: string;
  userId?: string;
  validUntil?: number;
  /** ISO-8601 form of `validUntil`. */
  expiresAt?: string;
  expired?: boolean;
  privileges?: string;
  privilegeList?: Privilege[];
  /** Warnings about the privileges (unknown names, ...). */
  warnings: string[];
  masterPartnerId?: string;
  additionalData?: string;
  /** True/false when a secret was given; undefined otherwise. */
  signatureValid: boolean | undefined;
}

const V2_PREFIX = 'v2|';

function invalid(message: string, cause?: unknown): TokensmithError {
  return new TokensmithError('ERR_KS_INVALID', message, { cause, source: 'ks' });
}

function sha1(data: string | Buffer): Buffer {
  return createHash('sha1').update(data).digest();
}

function aesKey(adminSecret: string): Buffer {
  return sha1(adminSecret).subarray(0, 16);
}

/** Standard base64 → URL-safe, keeping `=` padding (PHP, Python and Java all keep it). */
function base64UrlEncode(buf: Buffer): string {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The server's strict `base64_decode` after undoing the URL-safe alphabet. */
function base64Decode(ks: string): Buffer {
  const std = ks.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!std || !/^[A-Za-z0-9+/]+={0,2}$/.test(std)) throw invalid('KS is not base64');
  const padded = std.length % 4 === 0 ? std : std + '='.repeat((4 - (std.length % 4)) % 4);
  if (padded.length % 4 !== 0) throw invalid('KS has a broken base64 length');
  return Buffer.from(padded, 'base64');
}

function secretsOf(opt: string | readonly string[] | undefined): string[] {
  const list = opt === undefined ? [] : typeof opt === 'string' ? [opt] : [...opt];
  for (const s of list) registerSecret(s);
  return list.filter((s) => s.length > 0);
}

/** Create a KS v1 or v2 signed with the admin secret (as `session.start` would, without a server). */
export function encode(options: KsEncodeOptions): string {
  const { adminSecret, partnerId } = options;
  if (typeof adminSecret !== 'string' || !adminSecret) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'encoding a KS needs the admin secret');
  }
  registerSecret(adminSecret);
  if (!Number.isInteger(partnerId))
    throw new TokensmithError('ERR_CONFIG_INVALID', 'partnerId must be an integer');
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const validUntil = options.validUntil ?? nowSeconds + (options.expiry ?? 86400);
  const type = options.type ?? 0;
  const userId = options.userId ?? '';
  const privileges = options.privileges ?? '';
  const ks =
    (options.version ?? 2) === 1
      ? encodeV1(options, validUntil, type, userId, privileges)
      : encodeV2(options, validUntil, type, userId, privileges);
  registerSecret(ks, 'transient');
  return ks;
}

function encodeV1(
  o: KsEncodeOptions,
  validUntil: number,
  type: number,
  userId: string,
  privileges: string,
): string {
  // `;` separates v1 fields: a user id or privileges containing one would shift every field after it.
  if (userId.includes(';') || privileges.includes(';') || (o.additionalData ?? '').includes(';')) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      'a KS v1 cannot carry ";" in the user id, privileges or data',
    );
  }
  const rand = typeof o.random === 'number' ? o.random : randomInt(0, 32001);
  const fields: (string | number)[] = [o.partnerId, o.partnerId, validUntil, type, rand, userId, privileges];
  if (o.masterPartnerId !== undefined || o.additionalData !== undefined) {
    fields.push(o.masterPartnerId ?? '', o.additionalData ?? '');
  }
  const info = fields.join(';');
  const hash = createHash('sha1')
    .update(o.adminSecret + info)
    .digest('hex');
  return Buffer.from(`${hash}|${info}`, 'utf8').toString('base64');
}

function encodeV2(
  o: KsEncodeOptions,
  validUntil: number,
  type: number,
  userId: string,
  privileges: string,
): string {
  // An ordered map: a repeated name keeps its first position and its last value, like a PHP array.
  const fields = new Map<string, string | number | undefined>();
  for (const p of parsePrivileges(privileges)) {
    if (p.name === '*' && p.value === '') fields.set('all', '*');
    else fields.set(p.name, p.value);
  }
  fields.set('_e', validUntil);
  fields.set('_t', type);
  fields.set('_u', userId);
  fields.set('_m', o.masterPartnerId);
  fields.set('_d', o.additionalData);
  const query = Buffer.from(httpBuildQuery(fields), 'utf8');
  const random = Buffer.isBuffer(o.random) ? o.random : randomBytes(16);
  if (random.length !== 16)
    throw new TokensmithError('ERR_CONFIG_INVALID', 'KS v2 randomness must be 16 bytes');
  const body = Buffer.concat([random, query]);
  const plain = Buffer.concat([sha1(body), body]);
  // OPENSSL_ZERO_PADDING: zero bytes up to a block boundary, none when already aligned (not PKCS#7).
  const padded = Buffer.concat([plain, Buffer.alloc((16 - (plain.length % 16)) % 16)]);
  const cipher = createCipheriv('aes-128-cbc', aesKey(o.adminSecret), Buffer.alloc(16));
  cipher.setAutoPadding(false);
  const encrypted = Buffer.concat([cipher.update(padded), cipher.final()]);
  return base64UrlEncode(Buffer.concat([Buffer.from(`${V2_PREFIX}${o.partnerId}|`), encrypted]));
}

/** Version and partner of a KS, readable without any secret. */
export function peek(ks: string): { version: 1 | 2; partnerId: number } {
  const raw = base64Decode(ks);
  if (raw.subarray(0, 3).toString('latin1') === V2_PREFIX) {
    const end = raw.indexOf(0x7c, 3);
    const pid = Number(raw.subarray(3, end === -1 ? raw.length : end).toString('latin1'));
    if (end === -1 || !Number.isInteger(pid)) throw invalid('KS v2 has no partner id');
    return { version: 2, partnerId: pid };
  }
  return { version: 1, partnerId: decodeV1(raw, []).partnerId };
}

/**
 * Decode a KS. A v1 KS is readable without a secret (`signatureValid` is then undefined, and false
 * when a given secret does not match). A v2 KS needs the secret: without it, or with a wrong one,
 * this throws `ERR_KS_INVALID` (use {@link inspect} for a non-throwing view).
 */
export function decode(ks: string, options: KsDecodeOptions = {}): DecodedKs {
  if (typeof ks !== 'string' || !ks.trim()) throw invalid('KS is empty');
  registerSecret(ks.trim(), 'transient');
  const secrets = secretsOf(options.adminSecret);
  const raw = base64Decode(ks);
  if (raw.subarray(0, 3).toString('latin1') === V2_PREFIX) return decodeV2(raw, secrets);
  return decodeV1(raw, secrets);
}

function decodeV1(raw: Buffer, secrets: string[]): DecodedKs {
  const text = raw.toString('utf8');
  const bar = text.indexOf('|');
  if (bar === -1) throw invalid('KS v1 has no "|" separator');
  const hash = text.slice(0, bar);
  const info = text.slice(bar + 1);
  const parts = info.split(';');
  if (parts.length < 7) throw invalid(`KS v1 has ${parts.length} fields, expected at least 7`);
  const [pid, pattern, validUntil, type, rand, userId, privileges, master, data] = parts as string[];
  const partnerId = Number(pid);
  if (!/^-?\d+$/.test(pid ?? '') || !Number.isInteger(partnerId))
    throw invalid('KS v1 partner id is not a number');
  if (!/^\d+$/.test(validUntil ?? '')) throw invalid('KS v1 expiry is not a number');
  const signatureValid =
    secrets.length === 0
      ? undefined
      : secrets.some((s) =>
          safeEqual(
            createHash('sha1')
              .update(s + info)
              .digest('hex'),
            hash,
          ),
        );
  const out: DecodedKs = {
    version: 1,
    partnerId,
    partnerPattern: pattern ?? '',
    validUntil: Number(validUntil),
    type: Number(type),
    userId: userId ?? '',
    privileges: privileges ?? '',
    random: rand ?? '',
    signatureValid,
  };
  if (master !== undefined && master !== '') out.masterPartnerId = master;
  if (data !== undefined && data !== '') out.additionalData = data;
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function decodeV2(raw: Buffer, secrets: string[]): DecodedKs {
  const second = raw.indexOf(0x7c, 3);
  if (second === -1) throw invalid('KS v2 must have 3 "|"-separated parts');
  const partnerId = Number(raw.subarray(3, second).toString('latin1'));
  if (!Number.isInteger(partnerId)) throw invalid('KS v2 partner id is not a number');
  const encrypted = raw.subarray(second + 1);
  if (secrets.length === 0) throw invalid('reading a KS v2 needs the admin secret');
  if (encrypted.length === 0 || encrypted.length % 16 !== 0)
    throw invalid('KS v2 ciphertext has a broken length');
  for (const secret of secrets) {
    const fields = tryDecrypt(encrypted, secret);
    if (fields) return fromV2Fields(partnerId, fields);
  }
  throw invalid('KS v2 does not decrypt with the given admin secret (wrong secret or tampered KS)');
}

/** Decrypt, strip trailing NULs (`rtrim("\0")`), check the SHA-1 prefix; undefined on mismatch. */
function tryDecrypt(encrypted: Buffer, secret: string): Buffer | undefined {
  const decipher = createDecipheriv('aes-128-cbc', aesKey(secret), Buffer.alloc(16));
  decipher.setAutoPadding(false);
  let plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  plain = plain.subarray(0, end);
  if (plain.length < 20 + 16) return undefined;
  const hash = plain.subarray(0, 20);
  const fields = plain.subarray(20);
  return timingSafeEqual(sha1(fields), hash) ? fields : undefined;
}

function fromV2Fields(partnerId: number, fields: Buffer): DecodedKs {
  const random = fields.subarray(0, 16).toString('hex');
  const map = parseStr(fields.subarray(16).toString('utf8'));
  const privileges: string[] = [];
  for (const [k, v] of map) {
    if (k.startsWith('_') && ['_e', '_t', '_u', '_m', '_d'].includes(k)) continue;
    if (k === 'all' && v === '*') privileges.push('*');
    else privileges.push(v === '' ? k : `${k}:${v}`);
  }
  const out: DecodedKs = {
    version: 2,
    partnerId,
    validUntil: Number(map.get('_e') ?? 0),
    type: Number(map.get('_t') ?? 0),
    userId: map.get('_u') ?? '',
    privileges: privileges.join(','),
    random,
    signatureValid: true,
  };
  const master = map.get('_m');
  const data = map.get('_d');
  if (master !== undefined && master !== '') out.masterPartnerId = master;
  if (data !== undefined && data !== '') out.additionalData = data;
  return out;
}

/** True when `ks` was made with (one of) `adminSecret` and is well formed; expiry is not considered. */
export function verify(ks: string, adminSecret: string | readonly string[]): boolean {
  try {
    return decode(ks, { adminSecret }).signatureValid === true;
  } catch {
    return false;
  }
}

/**
 * A printable description of a KS: partner, type, user, expiry, privileges (v1 always; v2 only with
 * the secret) and whether the signature is valid. Throws `ERR_KS_INVALID` only for a malformed KS.
 */
export function inspect(ks: string, options: KsDecodeOptions = {}): KsInspection {
  const now = (options.now ?? Date.now)();
  const secrets = secretsOf(options.adminSecret);
  const head = peek(ks);
  let decoded: DecodedKs;
  try {
    decoded = decode(ks, { adminSecret: secrets });
  } catch (err) {
    if (head.version !== 2) throw err;
    return {
      version: 2,
      partnerId: head.partnerId,
      readable: false,
      warnings: [
        secrets.length === 0
          ? 'a KS v2 is encrypted: give the admin secret to read it'
          : 'the KS does not decrypt with this admin secret',
      ],
      signatureValid: secrets.length === 0 ? undefined : false,
    };
  }
  const out: KsInspection = {
    version: decoded.version,
    partnerId: decoded.partnerId,
    readable: true,
    type: decoded.type,
    typeName: sessionTypeName(decoded.type),
    userId: decoded.userId,
    validUntil: decoded.validUntil,
    // A crafted KS may claim any expiry: show it, never throw on it.
    expiresAt: isoTime(decoded.validUntil * 1000) ?? 'out of range',
    expired: decoded.validUntil * 1000 <= now,
    privileges: decoded.privileges,
    privilegeList: parsePrivileges(decoded.privileges),
    warnings: checkPrivileges(decoded.privileges),
    signatureValid: decoded.signatureValid,
  };
  if (decoded.masterPartnerId !== undefined) out.masterPartnerId = decoded.masterPartnerId;
  if (decoded.additionalData !== undefined) out.additionalData = decoded.additionalData;
  return out;
}
