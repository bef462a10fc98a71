/**
 * A `private_key_jwt` key (RFC 7523) from text, as profiles and files hold it: a private JWK (JSON)
 * or a PEM private key (PKCS#8, SEC1 or PKCS#1). Node's crypto reads it; nothing else is loaded.
 */
import { createPrivateKey } from 'node:crypto';
import type { JWK } from 'jose';
import { TokensmithError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';

/** The JWS algorithm a key signs with when its JWK names none. */
function defaultAlg(jwk: JWK): string | undefined {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? ''];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/**
 * The private JWK in `text` (with an `alg`: the JWK's own, else RS256 for RSA, ES256/384/512 by EC
 * curve, EdDSA for Ed25519), ready for the `privateKey` option. A PEM key gets no `kid` (servers
 * then try each registered key of that algorithm); a JWK keeps its own. Throws
 * `ERR_CONFIG_INVALID`, never quoting the text, when it is neither or is a public key.
 */
export function parsePrivateKey(text: string): JWK {
  registerSecret(text);
  const invalid = (why: string) =>
    new TokensmithError('ERR_CONFIG_INVALID', `the private key for private_key_jwt ${why}`, {
      field: 'private_key',
    });
  const trimmed = text.trim();
  let jwk: JWK;
  if (trimmed.startsWith('{')) {
    try {
      jwk = JSON.parse(trimmed) as JWK;
    } catch {
      throw invalid('is not valid JSON');
    }
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') throw invalid('is not a JWK');
    if (!jwk.d) throw invalid('is a public key (the JWK has no "d")');
  } else if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(trimmed)) {
    try {
      jwk = createPrivateKey(trimmed).export({ format: 'jwk' }) as JWK;
    } catch (cause) {
      throw invalid(`cannot be read (${(cause as { code?: string })?.code ?? 'unreadable PEM'})`);
    }
  } else {
    throw invalid('is neither a PEM private key nor a private JWK');
  }
  const alg = jwk.alg ?? defaultAlg(jwk);
  if (!alg) throw invalid(`has a key type with no default algorithm (${jwk.kty}); give "alg" in a JWK`);
  for (const part of [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi]) if (part) registerSecret(part);
  return { ...jwk, alg };
}
