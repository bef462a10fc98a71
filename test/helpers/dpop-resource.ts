/**
 * A loopback resource server that verifies DPoP proofs for real (RFC 9449 §4.3, §7.1): the proof's
 * signature with the JWK in its header, `typ`, `htm`, `htu`, `iat` within 60 s, `jti` never seen
 * before, `ath` of the token, and the key's thumbprint against the token's `cnf.jkt` (from the
 * emulator's introspection). With `requireNonce` it first answers `use_dpop_nonce`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';

/** What the resource server saw of one request. */
export interface DPoPRequestSeen {
  method: string;
  path: string;
  /** `ok`, or why the request was refused. */
  verdict: string;
  jti?: string;
  htu?: string;
}

/** Options of {@link startDPoPResource}. */
export interface DPoPResourceOptions {
  /** Introspection endpoint and the credentials of a client allowed to call it. */
  introspection: { url: string; clientId: string; clientSecret: string };
  /** Demand a server nonce in every proof. */
  requireNonce?: boolean;
  /** With `requireNonce`: hand out a new nonce with every accepted answer (RFC 9449 §8.2). */
  rotateNonce?: boolean;
}

/** Start the resource server on 127.0.0.1. */
export async function startDPoPResource(options: DPoPResourceOptions) {
  const seen: DPoPRequestSeen[] = [];
  const jtis = new Set<string>();
  let nonce = randomUUID();
  let origin = '';

  async function check(req: IncomingMessage): Promise<string> {
    const auth = req.headers.authorization ?? '';
    const match = /^DPoP ([!-~]+)$/.exec(auth);
    if (!match) return 'no DPoP authorization';
    const token = match[1] as string;
    const proof = req.headers.dpop;
    if (typeof proof !== 'string') return 'no proof';
    const header = decodeProtectedHeader(proof);
    if (header.typ !== 'dpop+jwt') return 'bad typ';
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    if (payload.htm !== req.method) return 'bad htm';
    const htu = `${origin}${(req.url ?? '/').split('?')[0]}`;
    if (payload.htu !== htu) return 'bad htu';
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > 60) return 'bad iat';
    if (typeof payload.jti !== 'string' || jtis.has(payload.jti)) return 'jti replayed';
    jtis.add(payload.jti);
    if (payload.ath !== createHash('sha256').update(token).digest('base64url')) return 'bad ath';
    if (options.requireNonce && payload.nonce !== nonce) return 'use_dpop_nonce';
    const jkt = await calculateJwkThumbprint(header.jwk as Parameters<typeof calculateJwkThumbprint>[0]);
    const { url, clientId, clientSecret } = options.introspection;
    const answer = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    const info = (await answer.json()) as { active?: boolean; cnf?: { jkt?: string } };
    if (!info.active) return 'token inactive';
    if (info.cnf?.jkt !== jkt) return 'jkt mismatch';
    return 'ok';
  }

  const server = createServer((req, res) => {
    check(req)
      .catch((err: Error) => `proof invalid: ${err.message}`)
      .then((verdict) => {
        const proof = req.headers.dpop;
        const claims =
          typeof proof === 'string'
            ? (JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString()) as Record<
                string,
                string
              >)
            : {};
        seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          verdict,
          jti: claims.jti,
          htu: claims.htu,
        });
        const hop = /^\/hop(\/.*)$/.exec(req.url ?? '');
        if (verdict === 'ok' && hop) {
          // A redirect within the origin: the next hop must carry its own proof.
          res.writeHead(307, { location: hop[1] }).end();
        } else if (verdict === 'ok') {
          if (options.rotateNonce) nonce = randomUUID();
          const next = options.rotateNonce ? { 'dpop-nonce': nonce } : {};
          res.writeHead(200, { 'content-type': 'application/json', ...next }).end('{"ok":true}');
        } else if (verdict === 'use_dpop_nonce') {
          res
            .writeHead(401, {
              'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="nonce required"',
              'dpop-nonce': nonce,
            })
            .end();
        } else {
          res.writeHead(401, { 'www-authenticate': 'DPoP error="invalid_token"' }).end(verdict);
        }
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
