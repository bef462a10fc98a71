import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { exportJWK, importX509 } from 'jose';
import { tlsFetch } from 'tokensmith/internal/core/tls.js';
import { runCli, startCliProxy } from '../../../test/helpers/cli.js';
import { type ProfileHome, profileHome } from '../../../test/helpers/profile-home.js';
import { type TestPki, testPki } from '../../../test/helpers/test-pki.js';

/**
 * Issue #15 item 2 from the CLI: profiles and flags with `ca_file`, `client_cert`, `client_key` and
 * `client_auth = "tls_client_auth" | "self_signed_tls_client_auth"` against the OIDC emulator
 * serving https with mutual TLS (oidc-provider's mTLS feature, certificate-bound access tokens), and
 * `tokensmith request` to an API that accepts a token only over a connection with the certificate
 * it is bound to (RFC 8705 §3).
 */

interface Introspection {
  active: boolean;
  client_id?: string;
  cnf?: { 'x5t#S256'?: string };
}

describe('mutual TLS and a private CA from the CLI', () => {
  let pki: TestPki;
  let emu: OidcEmulator;
  let home: ProfileHome;
  let api: Server;
  let apiUrl: string;
  const trustCa = () => tlsFetch({ ca: pki.ca.cert });

  /** RFC 7662 introspection at the emulator, as the API does it (confidential client, over https). */
  async function introspect(token: string): Promise<Introspection> {
    const { clientId, clientSecret } = emu.clients.confidential;
    const response = await trustCa()(`${emu.issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ token }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as Introspection;
  }

  before(async () => {
    pki = testPki();
    const selfSignedJwk = {
      ...(await exportJWK(await importX509(pki.selfSigned.cert, 'ES256', { extractable: true }))),
      x5c: [pki.selfSigned.cert.replace(/-----[A-Z ]+-----|\s/g, '')],
    };
    const common = {
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'openid',
      tls_client_certificate_bound_access_tokens: true,
    };
    emu = await startOidcEmulator({
      mtls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert },
      clients: [
        {
          ...common,
          client_id: 'mtls-pki',
          token_endpoint_auth_method: 'tls_client_auth',
          tls_client_auth_subject_dn: pki.client.subjectDn,
        },
        {
          ...common,
          client_id: 'mtls-self-signed',
          token_endpoint_auth_method: 'self_signed_tls_client_auth',
          jwks: { keys: [selfSignedJwk] },
        },
      ],
    });
    // The API: a bearer token is accepted only when introspection binds it to this connection's certificate.
    api = createServer({
      cert: pki.server.cert,
      key: pki.server.key,
      ca: pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
    });
    api.on('request', async (req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const raw = (req.socket as TLSSocket).getPeerCertificate().raw;
      const { createHash } = await import('node:crypto');
      const thumbprint = raw ? createHash('sha256').update(raw).digest('base64url') : undefined;
      const info = token ? await introspect(token) : undefined;
      const bound = !!info?.active && !!thumbprint && info.cnf?.['x5t#S256'] === thumbprint;
      res.writeHead(bound ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bound, client: info?.client_id }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `https://127.0.0.1:${(api.address() as AddressInfo).port}/things`;
    home = profileHome(`
[profiles.pki]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "client_credentials"
client_id = "mtls-pki"
client_auth = "tls_client_auth"
ca_file = "${pki.ca.certFile}"
client_cert = "${pki.client.certFile}"
client_key = "file:${pki.client.keyFile}"
cache = "memory"

[profiles.self]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "client_credentials"
client_id = "mtls-self-signed"
client_auth = "self_signed_tls_client_auth"
ca_file = "${pki.ca.certFile}"
client_cert = "${pki.selfSigned.certFile}"
client_key = "${pki.selfSigned.keyFile}"
cache = "memory"

[profiles.no-ca]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "client_credentials"
client_id = "mtls-pki"
client_auth = "tls_client_auth"
client_cert = "${pki.client.certFile}"
client_key = "file:${pki.client.keyFile}"
cache = "memory"

[profiles.lazy]
type = "oauth2"
issuer = "${emu.issuer}"
grant = "client_credentials"
client_id = "mtls-pki"
client_auth = "tls_client_auth"
ca_file = "${pki.ca.certFile}"
client_cert = "${pki.client.certFile}"
client_key = "cmd:echo run >> '${pki.dir}/key-reads'; cat '${pki.client.keyFile}'"

[profiles.no-cert]
type = "oauth2"
issuer = "${emu.issuer}"
client_id = "mtls-pki"
client_auth = "tls_client_auth"
ca_file = "${pki.ca.certFile}"
`);
  });
  after(async () => {
    api?.closeAllConnections();
    await new Promise((resolve) => api?.close(resolve));
    await emu?.close();
  });

  it('token -p (tls_client_auth): a token bound to the client certificate', async () => {
    const run = await runCli(['token', '-p', 'pki'], { env: home.env });
    assert.equal(run.code, 0, run.stderr);
    const info = await introspect(run.stdout.trim());
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'mtls-pki');
    assert.deepEqual(info.cnf, { 'x5t#S256': pki.client.thumbprint });
  });

  it('token -p (self_signed_tls_client_auth): bound to the self-signed certificate', async () => {
    const run = await runCli(['token', '-p', 'self'], { env: home.env });
    assert.equal(run.code, 0, run.stderr);
    const info = await introspect(run.stdout.trim());
    assert.equal(info.client_id, 'mtls-self-signed');
    assert.deepEqual(info.cnf, { 'x5t#S256': pki.selfSigned.thumbprint });
  });

  it('request -p sends the bound token over a connection with the same certificate', async () => {
    const run = await runCli(['request', apiUrl, '-p', 'pki'], { env: home.env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { bound: true, client: 'mtls-pki' });
    // The control: the same token over a connection without the certificate is refused.
    const token = (await runCli(['token', '-p', 'pki'], { env: home.env })).stdout.trim();
    const bare = await trustCa()(apiUrl, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bare.status, 401);
    assert.deepEqual(await bare.json(), { bound: false, client: 'mtls-pki' });
  });

  it('proxy -p forwards the bound token over a connection with the same certificate', async () => {
    const proxy = await startCliProxy(['-p', 'pki', '--upstream', new URL(apiUrl).origin], { env: home.env });
    let exit: Promise<number | null> | undefined;
    try {
      const response = await fetch(`${proxy.url}/things`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { bound: true, client: 'mtls-pki' });
    } finally {
      exit = proxy.stop();
    }
    assert.equal(await exit, 0, proxy.stderr());
  });

  it('the same with ad hoc flags', async () => {
    const flags = [
      '--issuer',
      emu.issuer,
      '--client-id',
      'mtls-pki',
      '--client-auth',
      'tls_client_auth',
      '--ca-file',
      pki.ca.certFile,
      '--client-cert',
      pki.client.certFile,
      '--client-key',
      pki.client.keyFile,
      '--no-cache',
    ];
    const token = await runCli(['token', ...flags], { env: home.env });
    assert.equal(token.code, 0, token.stderr);
    assert.deepEqual((await introspect(token.stdout.trim())).cnf, { 'x5t#S256': pki.client.thumbprint });
    const request = await runCli(['request', apiUrl, ...flags], { env: home.env });
    assert.equal(request.code, 0, request.stderr);
    assert.deepEqual(JSON.parse(request.stdout), { bound: true, client: 'mtls-pki' });
  });

  it('the key is read only when a token must be obtained: a cached token reads none', async () => {
    const reads = () =>
      existsSync(join(pki.dir, 'key-reads'))
        ? readFileSync(join(pki.dir, 'key-reads'), 'utf8').split('\n').length - 1
        : 0;
    const first = await runCli(['token', '-p', 'lazy'], { env: home.env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(reads(), 1);
    const cached = await runCli(['token', '-p', 'lazy'], { env: home.env });
    assert.equal(cached.code, 0, cached.stderr);
    assert.equal(cached.stdout, first.stdout);
    assert.equal(reads(), 1);
  });

  it('without ca_file the server is not trusted: ERR_NETWORK naming the reason, exit 1', async () => {
    const run = await runCli(['token', '-p', 'no-ca'], { env: home.env });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /ERR_NETWORK/);
    assert.match(run.stderr, /SELF_SIGNED_CERT_IN_CHAIN/);
    assert.doesNotMatch(run.stderr, /PRIVATE KEY/);
  });

  it('client_auth tls_client_auth without client_cert is a configuration error naming the key (exit 2)', async () => {
    const run = await runCli(['token', '-p', 'no-cert'], { env: home.env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /ERR_CONFIG_INVALID/);
    assert.match(
      run.stderr,
      /config\.toml:\d+: profile "no-cert": client_auth "tls_client_auth" needs client_cert/,
    );
  });
});
