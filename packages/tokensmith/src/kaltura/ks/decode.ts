/** Reading a KS: its version and partner without a secret, the rest (v2) or its signature with one. */
import { registerSecret } from '../../core/redact.js';
import { base64Decode, invalid, secretsOf, V2_PREFIX } from './codec.js';
import type { DecodedKs, KsDecodeOptions } from './types.js';
import { decodeV1 } from './v1.js';
import { decodeV2 } from './v2.js';

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

/** True when `ks` was made with (one of) `adminSecret` and is well formed; expiry is not considered. */
export function verify(ks: string, adminSecret: string | readonly string[]): boolean {
  try {
    return decode(ks, { adminSecret }).signatureValid === true;
  } catch {
    return false;
  }
}
