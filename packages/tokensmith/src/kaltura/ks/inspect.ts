/** A printable, secret-free description of a KS (what `tokensmith kaltura inspect` shows). */
import { isoTime } from '../../core/time-bounds.js';
import { check as checkPrivileges, parse as parsePrivileges } from '../privileges.js';
import { sessionTypeName } from '../session-type.js';
import { secretsOf } from './codec.js';
import { decode, peek } from './decode.js';
import type { DecodedKs, KsDecodeOptions, KsInspection } from './types.js';

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
