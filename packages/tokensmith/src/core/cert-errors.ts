/**
 * Certificate failures among transport errors. A server certificate the client cannot accept (an
 * unknown CA, an expired certificate, another host's name) or a client certificate the server
 * refused fails the same way on every attempt: retrying it only delays the answer, and the fix is
 * configuration, which the error message can point to.
 * @module
 */

/** OpenSSL's reasons for a server signed by a CA this client does not trust. */
const UNTRUSTED_CA = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Other verdicts on a certificate that a repeat cannot change. */
const OTHER_CERTIFICATE = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
]);

/**
 * The certificate failure's code in `err` or its causes (fetch wraps the socket error, and
 * TokensmithError wraps fetch's), or undefined for any other error. Besides the client's own
 * verdicts this covers the server's TLS alerts about certificates (`ERR_SSL_…_ALERT_BAD_CERTIFICATE`,
 * `…_CERTIFICATE_REQUIRED`, `…_UNKNOWN_CA`): a client certificate it refused; and
 * `…_ALERT_HANDSHAKE_FAILURE`, OpenSSL's TLS 1.2 answer to a missing client certificate (or to
 * no common cipher), which a repeat cannot change either.
 */
export function certificateErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && isCertificateCode(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isCertificateCode(code: string): boolean {
  return (
    UNTRUSTED_CA.has(code) ||
    OTHER_CERTIFICATE.has(code) ||
    // Node's own check of the name: ERR_TLS_CERT_ALTNAME_INVALID (a name the certificate lacks).
    /^ERR_TLS_CERT_ALTNAME_/.test(code) ||
    /^ERR_SSL_.*ALERT_(.*CERTIFICATE.*|UNKNOWN_CA|HANDSHAKE_FAILURE)$/.test(code)
  );
}

/** True for the codes that trusting the server's CA fixes. */
export function isUntrustedCa(code: string | undefined): boolean {
  return code !== undefined && UNTRUSTED_CA.has(code);
}

/** What the ERR_NETWORK message adds for an untrusted CA: where to trust it. No secret, no path. */
export const UNTRUSTED_CA_HINT = 'trust its CA with ca_file / --ca-file or NODE_EXTRA_CA_CERTS';
