/** The shapes of KS encoding, decoding and inspection. */
import type { Privilege } from '../privileges.js';

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
