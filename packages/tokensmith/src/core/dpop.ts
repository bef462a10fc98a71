/**
 * DPoP (RFC 9449): the key pair a DPoP-bound token is bound to, and the proofs it signs. One proof
 * per HTTP request (`htm`, `htu` without query or fragment, `iat`, a fresh `jti`, `ath` for a
 * resource request, and the server's latest nonce for that origin).
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { TokensmithError } from './errors.js';
import { REDACTED, registerSecret } from './redact.js';

/** The private JWK of a DPoP key, as stored with a cached credential. A secret: never print it. */
export interface DPoPJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  d: string;
  alg?: string;
  [member: string]: unknown;
}

/** A key pair for DPoP: what `dpop` takes besides `true` (generate one). */
export type DPoPKeyPair = { privateKey: CryptoKey; publicKey: CryptoKey };

/** The `dpop` option: `true` to generate an ES256 key in memory, or the key pair to use. */
export type DPoPOption = boolean | DPoPKeyPair | DPoPKey;

/** What a proof is for. */
export interface DPoPProofInput {
  /** HTTP method. */
  method: string;
  /** Full request URL; query and fragment are left out of `htu`. */
  url: string;
  /** The access token the request carries (gives `ath`); absent at the token endpoint. */
  accessToken?: string;
}

/**
 * A DPoP key pair. Signs proofs and remembers each origin's latest `DPoP-Nonce`. `toJSON` and
 * `util.inspect` show no key material.
 */
export class DPoPKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly alg: string;
  readonly #publicJwk: JWK;
  readonly #privateJwk: DPoPJwk;
  readonly #nonces = new Map<string, string>();

  private constructor(pair: DPoPKeyPair, alg: string, publicJwk: JWK, privateJwk: DPoPJwk) {
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.alg = alg;
    this.#publicJwk = publicJwk;
    this.#privateJwk = privateJwk;
    registerSecret(privateJwk.d);
  }

  /** A new extractable ES256 key pair, kept in memory (and in the cache with its credential). */
  static async generate(): Promise<DPoPKey> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    return DPoPKey.fromKeyPair(pair, 'ES256');
  }

  /** A key from a pair whose private key can be exported (to be cached with the credential). */
  static async fromKeyPair(pair: DPoPKeyPair, alg = 'ES256'): Promise<DPoPKey> {
    let privateJwk: JWK;
    try {
      privateJwk = await exportJWK(pair.privateKey);
    } catch (cause) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'the DPoP private key must be extractable', { cause });
    }
    const { d: _d, ...publicJwk } = privateJwk;
    return new DPoPKey(pair, alg, publicJwk, { ...privateJwk, alg } as DPoPJwk);
  }

  /** The key stored with a cached credential. */
  static async fromJwk(jwk: DPoPJwk): Promise<DPoPKey> {
    const alg = typeof jwk.alg === 'string' ? jwk.alg : 'ES256';
    const { d: _d, ...publicJwk } = jwk;
    const privateKey = (await importJWK({ ...jwk, ext: true }, alg)) as CryptoKey;
    const publicKey = (await importJWK({ ...publicJwk, ext: true }, alg)) as CryptoKey;
    return new DPoPKey({ privateKey, publicKey }, alg, publicJwk as JWK, { ...jwk, alg });
  }

  /** The private JWK, for the credential record (a secret). */
  toJwk(): DPoPJwk {
    return { ...this.#privateJwk };
  }

  /** RFC 7638 SHA-256 thumbprint of the public key: the token's `cnf.jkt`. */
  thumbprint(): string {
    const j = this.#publicJwk;
    const members =
      j.kty === 'EC'
        ? { crv: j.crv, kty: j.kty, x: j.x, y: j.y }
        : j.kty === 'OKP'
          ? { crv: j.crv, kty: j.kty, x: j.x }
          : { e: j.e, kty: j.kty, n: j.n };
    return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  }

  /** Remember the nonce a server gave for `url`'s origin. */
  rememberNonce(url: string, nonce: string): void {
    this.#nonces.set(new URL(url).origin, nonce);
  }

  /** A fresh proof JWT for one request. */
  async proof(input: DPoPProofInput): Promise<string> {
    const u = new URL(input.url);
    const nonce = this.#nonces.get(u.origin);
    const payload: Record<string, unknown> = {
      htm: input.method.toUpperCase(),
      htu: `${u.origin}${u.pathname}`,
      ...(nonce === undefined ? {} : { nonce }),
      ...(input.accessToken === undefined
        ? {}
        : { ath: createHash('sha256').update(input.accessToken).digest('base64url') }),
    };
    const proof = await new SignJWT(payload)
      .setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: this.#publicJwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(this.privateKey);
    return proof;
  }

  toJSON(): unknown {
    return { kind: 'DPoPKey', alg: this.alg, key: REDACTED };
  }

  [inspect.custom](): string {
    return `DPoPKey(${this.alg}, ${REDACTED})`;
  }
}

/** The key of a `dpop` option, or undefined when DPoP is off. */
export async function dpopKeyOf(option: DPoPOption | undefined): Promise<DPoPKey | undefined> {
  if (!option) return undefined;
  if (option === true) return DPoPKey.generate();
  if (option instanceof DPoPKey) return option;
  return DPoPKey.fromKeyPair(option);
}

/**
 * The nonce of a resource server's `use_dpop_nonce` challenge (a 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` header), or undefined.
 */
export function dpopNonceChallenge(response: Response): string | undefined {
  if (response.status !== 401) return undefined;
  const challenge = response.headers.get('www-authenticate') ?? '';
  if (!/(^|,)\s*DPoP\b[\s\S]*error\s*=\s*"?use_dpop_nonce"?/i.test(challenge)) return undefined;
  return response.headers.get('dpop-nonce') ?? undefined;
}
