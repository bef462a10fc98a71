/**
 * KS v1: `base64(sha1_hex(adminSecret + info) + "|" + info)` with
 * `info = partnerId;partnerId;validUntil;type;rand;userId;privileges[;masterPartnerId;additionalData]`
 * (kSessionBase::generateKsV1 / parseKsV1). Readable without the secret; checking it needs the secret.
 */
import { createHash, randomInt } from 'node:crypto';
import { TokensmithError } from '../../core/errors.js';
import { invalid, safeEqual } from './codec.js';
import type { DecodedKs, KsEncodeOptions } from './types.js';

/** The v1 string for these fields. */
export function encodeV1(
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

/** Read a base64-decoded v1 KS; `signatureValid` is undefined without secrets. */
export function decodeV1(raw: Buffer, secrets: string[]): DecodedKs {
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
