import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { isTokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { MemoryCache } from 'tokensmith/internal/core/memory-cache.js';
import { tlsConnectOptions, tlsFetch } from 'tokensmith/internal/core/tls.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { rejection } from '../../../../test/helpers/rejection.js';
import { type TestPki, testPki } from '../../../../test/helpers/test-pki.js';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.js';

/**
 * Issue #15 item 2: a private CA (`tls.ca`) and mutual TLS (`tls.cert`/`tls.key`,
 * `tls_client_auth`, RFC 8705 `mtls_endpoint_aliases`) against a loopback https server whose
 * certificate a CA made in the test signed, and which asks every client for a certificate.
 */

/** What the server saw of one request. */
interface Seen {
  path: string;
  /** The client certificate's CN, when one was sent. */
  clientCn?: string;
  /** True when the client certificate chains to the test CA. */
  authorized: boolean;
  authorization?: string;
  body: string;
}

const SECRET = 'mtls-test-secret-4f9c';

describe('tls options: private CA and client certificates', () => {
  let pki: TestPki;
  let server: Server;
  let origin: string;
  const seen: Seen[] = [];

  before(async () => {
    configureLogging({ level: 'silent' });
    pki = testPki();
    server = createServer({
      cert: pki.server.cert,
      key: pki.server.key,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
    });
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const path = new URL(req.url ?? '/', origin).pathname;
        seen.push({
          path,
          clientCn: peer?.subject?.CN as string | undefined,
          authorized: socket.authorized,
          authorization: req.headers.authorization,
          body,
        });
        res.setHeader('content-type', 'application/json');
        if (path === '/.well-known/openid-configuration') {
          res.end(
            JSON.stringify({
              issuer: origin,
              token_endpoint: `${origin}/token`,
              mtls_endpoint_aliases: { token_endpoint: `${origin}/mtls/token` },
            }),
          );
        } else if (path === '/token' || path === '/mtls/token') {
          res.end(
            JSON.stringify({ access_token: `at-${seen.length}`, token_type: 'Bearer', expires_in: 300 }),
          );
        } else {
          res.end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const clientCredentials = (extra: Partial<oauth2.ClientCredentialsOptions> = {}) =>
    oauth2.clientCredentials({
      tokenEndpoint: `${origin}/token`,
      clientId: 'tokensmith-mtls',
      clientSecret: SECRET,
      retry: false,
      ...extra,
    });

  it('refuses a server signed by a CA it was not given: ERR_NETWORK naming the reason OpenSSL gives', async () => {
    const err = await rejection(clientCredentials().acquire({}));
    assert.equal(err.code, 'ERR_NETWORK');
    // The server sends its chain with the test CA in it: OpenSSL names that CA as untrusted.
    assert.match(
      err.message,
      /failed: SELF_SIGNED_CERT_IN_CHAIN \(trust its CA with ca_file \/ --ca-file or NODE_EXTRA_CA_CERTS\)$/,
    );
    assert.doesNotMatch(err.message, new RegExp(SECRET));
    assert.equal(seen.length, 0);
  });

  it('trusts the server with tls.ca, and sends no client certificate without tls.cert', async () => {
    const credential = await clientCredentials({ tls: { ca: pki.ca.cert } }).acquire({});
    assert.equal(credential.token, 'at-1');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.path, '/token');
    assert.equal(seen[0]!.clientCn, undefined);
    assert.match(seen[0]!.authorization ?? '', /^Basic /);
  });

  it('still refuses the server when given the wrong CA', async () => {
    const err = await rejection(clientCredentials({ tls: { ca: pki.otherCa.cert } }).acquire({}));
    assert.equal(err.code, 'ERR_NETWORK');
    // The server sends its chain with the test CA in it: OpenSSL names that CA as untrusted.
    assert.match(
      err.message,
      /failed: SELF_SIGNED_CERT_IN_CHAIN \(trust its CA with ca_file \/ --ca-file or NODE_EXTRA_CA_CERTS\)$/,
    );
    assert.equal(seen.length, 0);
  });

  it('tls_client_auth: the certificate on the connection, the client id in the body, no secret', async () => {
    const provider = oauth2.clientCredentials({
      tokenEndpoint: `${origin}/token`,
      clientId: 'tokensmith-mtls',
      clientAuth: 'tls_client_auth',
      tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key },
      retry: false,
    });
    const credential = await provider.acquire({});
    assert.equal(credential.token, 'at-1');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.clientCn, 'tokensmith-mtls');
    assert.equal(seen[0]!.authorized, true);
    assert.equal(seen[0]!.authorization, undefined);
    // The key never shows in what a provider prints.
    assert.doesNotMatch(inspect(provider, { depth: 8 }), /PRIVATE KEY|BEGIN/);
    assert.doesNotMatch(JSON.stringify(provider), /PRIVATE KEY|BEGIN/);
    const body = new URLSearchParams(seen[0]!.body);
    assert.equal(body.get('client_id'), 'tokensmith-mtls');
    assert.equal(body.get('grant_type'), 'client_credentials');
    assert.equal(body.has('client_secret'), false);
  });

  it('uses the mtls_endpoint_aliases of discovery with a client certificate, the plain endpoint without', async () => {
    const withCert = oauth2.clientCredentials({
      issuer: origin,
      clientId: 'tokensmith-mtls',
      clientAuth: 'self_signed_tls_client_auth',
      tls: { ca: pki.ca.cert, cert: pki.selfSigned.cert, key: pki.selfSigned.key },
      retry: false,
    });
    await withCert.acquire({});
    assert.deepEqual(
      seen.map((s) => [s.path, s.clientCn]),
      [
        ['/.well-known/openid-configuration', 'tokensmith-self-signed'],
        ['/mtls/token', 'tokensmith-self-signed'],
      ],
    );
    assert.equal(seen[1]!.authorized, false); // self-signed: the server checks its thumbprint instead
    seen.length = 0;
    await clientCredentials({ issuer: origin, tokenEndpoint: undefined, tls: { ca: pki.ca.cert } }).acquire(
      {},
    );
    assert.deepEqual(
      seen.map((s) => s.path),
      ['/.well-known/openid-configuration', '/token'],
    );
  });

  it('authFetch over tlsFetch sends the same client certificate to the API', async () => {
    const tls = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
    const manager = new TokenManager(
      oauth2.clientCredentials({
        tokenEndpoint: `${origin}/token`,
        clientId: 'tokensmith-mtls',
        clientAuth: 'tls_client_auth',
        tls,
        retry: false,
      }),
      { cache: new MemoryCache() },
    );
    const api = authFetch(manager, { fetch: tlsFetch(tls) });
    const response = await api(`${origin}/api/things`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
    assert.deepEqual(
      seen.map((s) => [s.path, s.clientCn, s.authorization]),
      [
        ['/token', 'tokensmith-mtls', undefined],
        ['/api/things', 'tokensmith-mtls', 'Bearer at-1'],
      ],
    );
  });

  it('a client certificate without its key, a mismatched key, or a bad CA file is ERR_CONFIG_INVALID', () => {
    const cases = [
      { cert: pki.client.cert },
      { cert: pki.client.cert, key: pki.selfSigned.key },
      { ca: 'not a certificate' },
      { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
    ];
    for (const tls of cases) {
      assert.throws(
        () => tlsConnectOptions(tls),
        (err: unknown) => {
          assert.ok(isTokensmithError(err));
          assert.equal(err.code, 'ERR_CONFIG_INVALID');
          assert.doesNotMatch(err.message, /PRIVATE KEY|BEGIN/);
          return true;
        },
      );
    }
  });

  it('an encrypted key opens with its passphrase; a wrong one is ERR_CONFIG_INVALID', async () => {
    const passphrase = 'tls-key-passphrase-71b3';
    const encrypted = createPrivateKey(pki.client.key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
      .toString();
    const tls = { ca: pki.ca.cert, cert: pki.client.cert, key: encrypted };
    const response = await tlsFetch({ ...tls, passphrase })(`${origin}/api/encrypted`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.deepEqual(
      seen.map((s) => [s.path, s.clientCn]),
      [['/api/encrypted', 'tokensmith-mtls']],
    );
    assert.throws(
      () => tlsConnectOptions({ ...tls, passphrase: 'wrong' }),
      (err: unknown) =>
        isTokensmithError(err) && err.code === 'ERR_CONFIG_INVALID' && !err.message.includes('wrong'),
    );
  });

  it('tls_client_auth without a certificate is ERR_CONFIG_INVALID before any request', async () => {
    const err = await rejection(
      oauth2
        .clientCredentials({
          tokenEndpoint: `${origin}/token`,
          clientId: 'x',
          clientAuth: 'tls_client_auth',
          tls: { ca: pki.ca.cert },
        })
        .acquire({}),
    );
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    assert.match(err.message, /tls_client_auth needs a TLS client certificate/);
    assert.equal(seen.length, 0);
  });

  describe('through HTTPS_PROXY', () => {
    let forwardProxy: ForwardProxy;
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy };
    before(async () => {
      forwardProxy = await startForwardProxy();
      delete process.env.https_proxy;
      process.env.HTTPS_PROXY = forwardProxy.url;
    });
    after(async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await forwardProxy.close();
    });

    it('tunnels to the server and keeps the CA and the client certificate inside the tunnel', async () => {
      const tls = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
      const response = await tlsFetch(tls)(`${origin}/api/proxied`);
      assert.equal(response.status, 200);
      await response.body?.cancel();
      assert.deepEqual(
        forwardProxy.tunnels.map((t) => t.target),
        [new URL(origin).host],
      );
      assert.deepEqual(
        seen.map((s) => [s.path, s.clientCn]),
        [['/api/proxied', 'tokensmith-mtls']],
      );
    });
  });
});
