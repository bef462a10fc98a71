/**
 * Reading a JWT without verifying it, for display (`tokensmith decode`) and expiry hints. Nothing
 * read here may be trusted: the signature is returned, never checked.
 * @module
 */
import {
  decodeProtectedHeader,
  type JWTPayload,
  decodeJwt as joseDecodeJwt,
  type ProtectedHeaderParameters,
} from 'jose';
import { TokensmithError } from './errors.js';

/** The three parts of a compact JWS JWT. */
export interface DecodedJwt {
  /** The protected header (`alg`, `kid`, `typ`...). */
  header: ProtectedHeaderParameters;
  /** The claims set (`iss`, `sub`, `exp`...), as sent: not verified. */
  claims: JWTPayload;
  /** The signature, base64url as in the token (`''` for an unsecured `alg: none` token). */
  signature: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Split and decode a JWT (compact JWS: `header.payload.signature`) without verifying it.
 * Surrounding whitespace is ignored. Throws `TokensmithError` with code `ERR_TOKEN_MALFORMED` for
 * anything else (an encrypted JWE, wrong number of parts, bad base64url, a header or payload that
 * is not a JSON object); the message never quotes the token.
 *
 * @example
 * const { header, claims } = decodeJwt(idToken);
 * console.log(header.alg, claims.sub, new Date(claims.exp! * 1000));
 */
export function decodeJwt(token: string): DecodedJwt {
  if (typeof token !== 'string') throw malformed('it is not a string');
  const text = token.trim();
  const parts = text.split('.');
  if (parts.length === 5)
    throw malformed('it is an encrypted JWT (JWE), which cannot be read without the key');
  if (parts.length !== 3) throw malformed(`it has ${parts.length} part(s) separated by ".", expected 3`);
  const signature = parts[2]!;
  if (!parts.every((p) => BASE64URL.test(p))) throw malformed('a part is not base64url');
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(text);
  } catch (cause) {
    throw malformed('the header is not a base64url-encoded JSON object', cause);
  }
  let claims: JWTPayload;
  try {
    claims = joseDecodeJwt(text);
  } catch (cause) {
    throw malformed('the payload is not a base64url-encoded JSON object', cause);
  }
  return { header, claims, signature };
}

function malformed(reason: string, cause?: unknown): TokensmithError {
  return new TokensmithError('ERR_TOKEN_MALFORMED', `not a JWT: ${reason}`, { cause, source: 'jwt' });
}
