/**
 * KS v2: `base64url("v2|" + partnerId + "|" + AES-128-CBC(sha1(R + fields) + R + fields))`, the key
 * being `sha1(adminSecret)[0:16]`, a zero IV and zero padding (kSessionBase::generateKsV2 / parseKsV2).
 * Reading one needs the admin secret.
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { TokensmithError } from '../../core/errors.js';
import { httpBuildQuery, parseStr } from '../php-urlencode.js';
import { parse as parsePrivileges } from '../privileges.js';
import { base64UrlEncode, invalid, sha1, V2_PREFIX } from './codec.js';
import type { DecodedKs, KsEncodeOptions } from './types.js';

function aesKey(adminSecret: string): Buffer {
  return sha1(adminSecret).subarray(0, 16);
}

/** The v2 string for these fields. */
export function encodeV2(
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

/** Read a base64-decoded v2 KS with the first of `secrets` that decrypts it. */
export function decodeV2(raw: Buffer, secrets: string[]): DecodedKs {
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
