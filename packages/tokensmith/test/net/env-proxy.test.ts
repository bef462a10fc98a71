import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import * as kalliope from 'tokensmith/internal/kalliope/index.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { runCli } from '../../../../test/helpers/cli.js';
import { emulator as kalturaEmulator } from '../../../../test/helpers/kaltura.js';
import {
  type HostileServer,
  json,
  serveDiscovery,
  startHostileServer,
  testTls,
} from '../../../../test/security/hostile-server.js';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.js';

/**
 * Issue #15 item 1: HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured for every request tokensmith
 * makes, through a real forward proxy on loopback that counts tunnels and requests. Every server is
 * on loopback, which tokensmith proxies like any other host unless NO_PROXY lists it (as curl does).
 */

const VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];
const CLIENT_ID = 'proxy-client';

/** Set exactly these proxy variables (the others unset). */
function proxyEnv(vars: Record<string, string>): void {
  for (const k of VARS) delete process.env[k];
  Object.assign(process.env, vars);
}

const hasCode = (code: string) => (e: TokensmithError) => {
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return true;
};

describe('outbound proxy from the environment', () => {
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  let proxy: ForwardProxy;
  let server: HostileServer;

  before(async () => {
    configureLogging({ level: 'silent' });
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    proxy = await startForwardProxy();
    server = await startHostileServer();
    serveDiscovery(server, { jwks_uri: '/jwks', id_token_signing_alg_values_supported: ['ES256'] });
    server.on('/jwks', json({ keys: [jwk] }));
    server.on('/token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({
        iss: server.origin,
        aud: CLIENT_ID,
        sub: 'alice',
        iat: now,
        exp: now + 300,
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .sign(privateKey);
      return json({ access_token: 'at-proxied', token_type: 'Bearer', expires_in: 300, id_token: idToken });
    });
  });
  after(async () => {
    proxyEnv({});
    Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
    await Promise.all([proxy.close(), server.close()]);
  });
  beforeEach(() => {
    proxy.reset();
    server.reset();
  });
  afterEach(() => proxyEnv({}));

  /** A password grant with discovery and an ID token: discovery, token endpoint and JWKS, in that order. */
  const login = () =>
    oauth2
      .password({
        issuer: server.origin,
        clientId: CLIENT_ID,
        username: 'alice',
        password: 'alice-pw',
        scope: 'openid',
        retry: false,
      })
      .acquire({});
  const serverSaw = () => server.seen.map((r) => `${r.method} ${r.url}`);
  const OIDC_REQUESTS = ['GET /.well-known/openid-configuration', 'POST /token', 'GET /jwks'];
  const proxied = () => proxy.requests.map((r) => `${r.method} ${r.url}`);

  it('without proxy variables every request goes direct', async () => {
    assert.equal((await login()).token, 'at-proxied');
    assert.deepEqual(serverSaw(), OIDC_REQUESTS);
    assert.deepEqual([proxy.requests.length, proxy.tunnels.length], [0, 0]);
  });

  it('HTTP_PROXY: discovery, the token endpoint and the JWKS go through the proxy (absolute form)', async () => {
    proxyEnv({ HTTP_PROXY: proxy.url });
    const c = await login();
    assert.equal(c.token, 'at-proxied');
    assert.equal(c.subject, 'alice');
    assert.deepEqual(
      proxied(),
      OIDC_REQUESTS.map((r) => r.replace(' /', ` ${server.origin}/`)),
    );
    assert.deepEqual(proxy.tunnels, []);
    assert.deepEqual(serverSaw(), OIDC_REQUESTS);
  });

  it('lower-case http_proxy is read as well, and wins over HTTP_PROXY', async () => {
    proxyEnv({ http_proxy: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9' });
    await login();
    assert.equal(proxy.requests.length, 3);
  });

  it('NO_PROXY: a listed host (name, name:port or *) goes direct; loopback is proxied unless listed', async () => {
    const port = new URL(server.origin).port;
    for (const noProxy of ['127.0.0.1', `127.0.0.1:${port}`, 'localhost, 127.0.0.1', '*']) {
      proxy.reset();
      server.reset();
      proxyEnv({ HTTP_PROXY: proxy.url, NO_PROXY: noProxy });
      await login();
      assert.equal(proxy.requests.length, 0, `NO_PROXY=${noProxy}`);
      assert.deepEqual(serverSaw(), OIDC_REQUESTS, `NO_PROXY=${noProxy}`);
    }
    for (const noProxy of ['localhost', '127.0.0.1:1', 'example.com', '']) {
      proxy.reset();
      proxyEnv({ HTTP_PROXY: proxy.url, no_proxy: noProxy });
      await login();
      assert.equal(proxy.requests.length, 3, `no_proxy=${noProxy}`);
    }
  });

  it('credentials in the proxy URL are sent as Proxy-Authorization, and never printed', async () => {
    const port = new URL(proxy.url).port;
    proxyEnv({ HTTP_PROXY: `http://corp%2Duser:s3cret%40pw@127.0.0.1:${port}` });
    await login();
    assert.deepEqual(
      proxy.requests.map((r) => r.proxyAuthorization),
      Array(3).fill(`Basic ${Buffer.from('corp-user:s3cret@pw').toString('base64')}`),
    );
    // Requests to the server itself never carry them.
    assert.ok(server.seen.every((r) => r.headers['proxy-authorization'] === undefined));
  });

  it('a proxy that is down fails the request with ERR_NETWORK: nothing goes direct', async () => {
    proxyEnv({ HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' });
    await assert.rejects(login(), hasCode('ERR_NETWORK'));
    assert.equal(server.seen.length, 0);
  });

  it('a proxy that hangs up on CONNECT fails the request after one attempt, without a retry loop', async () => {
    proxy.hangUpOnConnect = true;
    proxyEnv({ HTTPS_PROXY: proxy.url });
    const provider = oauth2.clientCredentials({
      tokenEndpoint: 'https://127.0.0.1:4/token',
      clientId: CLIENT_ID,
      clientSecret: 's',
      retry: false,
      timeoutMs: 5000,
    });
    await assert.rejects(provider.acquire({}), (e: TokensmithError) => {
      hasCode('ERR_NETWORK')(e);
      assert.equal(
        e.message,
        'POST https://127.0.0.1:4/token failed: the proxy closed the connection instead of opening a tunnel',
      );
      return true;
    });
    assert.deepEqual(
      proxy.tunnels.map((t) => t.target),
      ['127.0.0.1:4'],
    );
  });

  it('a proxy variable that is not an http(s) URL → ERR_CONFIG_INVALID naming the variable, not its value', async () => {
    for (const [name, value, message] of [
      [
        'HTTPS_PROXY',
        'socks5://user:hunter2@127.0.0.1:1080',
        'HTTPS_PROXY must be an http:// or https:// proxy URL',
      ],
      ['http_proxy', 'http://user:hunter2@[not-an-address', 'http_proxy is not a valid proxy URL'],
    ] as const) {
      proxyEnv({ [name]: value });
      await assert.rejects(login(), (e: TokensmithError) => {
        hasCode('ERR_CONFIG_INVALID')(e);
        assert.equal(e.message, message);
        assert.ok(!JSON.stringify(e).includes('hunter2'));
        return true;
      });
    }
    assert.equal(server.seen.length, 0);
  });

  it('a proxy URL without a scheme is taken as http:// (as curl does)', async () => {
    proxyEnv({ HTTP_PROXY: proxy.url.replace('http://', '') });
    await login();
    assert.equal(proxy.requests.length, 3);
  });

  describe('Kaltura and Kalliope', () => {
    let kalliopeEmu: KalliopeEmulator;
    let kal: Awaited<ReturnType<typeof kalturaEmulator>>;
    before(async () => {
      kalliopeEmu = await startKalliopeEmulator({
        users: [{ domain: 'default', username: 'admin', password: 'kalliope-pw-1' }],
      });
      kal = await kalturaEmulator();
    });
    after(async () => {
      await Promise.all([kalliopeEmu.close(), kal.emu.close()]);
    });

    it('Kaltura session.start goes through the proxy', async () => {
      proxyEnv({ HTTP_PROXY: proxy.url });
      const ks = await kaltura
        .adminSession({ ...kal.conn, adminSecret: 'emulator-admin-secret-4f2a9c' })
        .acquire({});
      assert.equal(ks.kind, 'kaltura');
      assert.deepEqual(proxied(), [`POST ${kal.emu.url}/api_v3/service/session/action/start`]);
    });

    it('the Kalliope salt request goes through the proxy', async () => {
      proxyEnv({ HTTP_PROXY: proxy.url });
      const s = kalliope.signer({ url: kalliopeEmu.url, username: 'admin', password: 'kalliope-pw-1' });
      const headers = await s.sign({ method: 'GET', url: `${kalliopeEmu.url}/rest/account` });
      assert.match(headers['X-authenticate']!, kalliope.HEADER_PATTERN);
      assert.equal(proxy.requests.length, 1);
      assert.ok(proxy.requests[0]!.url.startsWith(`${kalliopeEmu.url}/`), proxy.requests[0]!.url);
    });
  });

  describe('https through a CONNECT tunnel (the CLI, as users run it)', () => {
    let tls: HostileServer;
    let dir: string;
    let caFile: string;
    before(async () => {
      tls = await startHostileServer({ tls: true });
      tls.on('/token', json({ access_token: 'at-tunnelled', token_type: 'Bearer', expires_in: 300 }));
      dir = mkdtempSync(join(tmpdir(), 'tokensmith-proxy-ca-'));
      caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, testTls().cert);
    });
    beforeEach(() => tls.reset());
    after(async () => {
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const token = (env: Record<string, string>) =>
      runCli(
        [
          'token',
          '--no-cache',
          '--token-endpoint',
          tls.url('/token'),
          '--client-id',
          CLIENT_ID,
          '--client-secret-env',
          'PROXY_TEST_SECRET',
        ],
        {
          inheritEnv: false,
          env: {
            // Run from source keeps running from source in the child.
            TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH,
            NODE_EXTRA_CA_CERTS: caFile,
            PROXY_TEST_SECRET: 'tunnel-secret',
            ...env,
          },
        },
      );

    it('HTTPS_PROXY: one CONNECT tunnel to the token endpoint, no plain request', async () => {
      const run = await token({ HTTPS_PROXY: proxy.url });
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
      assert.equal(run.stdout, 'at-tunnelled\n');
      assert.deepEqual(
        proxy.tunnels.map((t) => t.target),
        [new URL(tls.origin).host],
      );
      assert.equal(proxy.requests.length, 0);
      assert.deepEqual(
        tls.seen.map((r) => `${r.method} ${r.url}`),
        ['POST /token'],
      );
    });

    it('HTTPS_PROXY with NO_PROXY listing the host: direct, no tunnel', async () => {
      const run = await token({ HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'at-tunnelled\n');
      assert.deepEqual([proxy.tunnels.length, proxy.requests.length], [0, 0]);
      assert.equal(tls.seen.length, 1);
    });
  });
});
