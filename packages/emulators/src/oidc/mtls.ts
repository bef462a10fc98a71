/**
 * Mutual TLS (RFC 8705) for the OIDC emulator: oidc-provider's `features.mTLS`, reading the client
 * certificate from the TLS connection of an https server that asks for one but does not require it.
 */
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** What the emulator needs to serve https and check client certificates (PEM text). */
export interface EmulatorMtls {
  /** Server certificate (for 127.0.0.1). */
  cert: string;
  /** Its private key. */
  key: string;
  /** CA whose client certificates `tls_client_auth` accepts. */
  ca: string;
}

/** oidc-provider's default client authentications, and both of RFC 8705's. */
export const MTLS_CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_jwt',
  'client_secret_post',
  'private_key_jwt',
  'none',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;

/** The client certificate of the request's connection, when one was sent. */
function peerCertificate(ctx: KoaContextWithOIDC): X509Certificate | undefined {
  const socket = ctx.req.socket as TLSSocket;
  const raw = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate().raw : undefined;
  return raw ? new X509Certificate(raw) : undefined;
}

/** `features.mTLS` of oidc-provider: both client authentications and certificate-bound tokens. */
export function mtlsFeature() {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: true,
    getCertificate: (ctx: KoaContextWithOIDC) => peerCertificate(ctx),
    // Signed by the emulator's `ca` (the server was told to trust it, and checked the chain).
    certificateAuthorized: (ctx: KoaContextWithOIDC) => (ctx.req.socket as TLSSocket).authorized === true,
    certificateSubjectMatches: (ctx: KoaContextWithOIDC, property: string, expected: string) => {
      const cert = peerCertificate(ctx);
      // Only the subject DN is offered: RFC 4514 order, most significant attribute last.
      if (!cert || property !== 'tls_client_auth_subject_dn') return false;
      return cert.subject.split('\n').reverse().join(',') === expected;
    },
  };
}
