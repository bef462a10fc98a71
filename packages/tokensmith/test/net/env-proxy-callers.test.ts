import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { type HostileServer, json, startHostileServer } from '../../../../test/security/hostile-server.js';
import { call } from '../proxy/client.js';
import { type ForwardProxy, startForwardProxy } from './forward-proxy.js';

/**
 * Issue #15 item 1, the requests tokensmith sends for its callers: `authFetch`, `kalturaFetch` and
 * the proxy's upstream go through the proxy the environment names, as the token requests do
 * (env-proxy.test.ts), and NO_PROXY sends them direct.
 */

const VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

/** Set exactly these proxy variables (the others unset). */
function proxyEnv(vars: Record<string, string>): void {
  for (const k of VARS) delete process.env[k];
  Object.assign(process.env, vars);
}

describe('authFetch, kalturaFetch and the proxy upstream through HTTP_PROXY', () => {
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  let forwardProxy: ForwardProxy;
  let server: HostileServer;

  before(async () => {
    configureLogging({ level: 'silent' });
    forwardProxy = await startForwardProxy();
    server = await startHostileServer();
    server.on('/token', json({ access_token: 'at-callers', token_type: 'Bearer', expires_in: 300 }));
    server.on('*', json({ ok: true }));
  });
  after(async () => {
    proxyEnv({});
    Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
    await Promise.all([forwardProxy.close(), server.close()]);
  });
  beforeEach(() => {
    forwardProxy.reset();
    server.reset();
  });
  afterEach(() => proxyEnv({}));

  const manager = () =>
    new TokenManager(
      oauth2.clientCredentials({
        tokenEndpoint: server.url('/token'),
        clientId: 'callers',
        clientSecret: 'callers-secret',
        retry: false,
      }),
    );
  const proxied = () => forwardProxy.requests.map((r) => `${r.method} ${r.url}`);
  const serverSaw = () => server.seen.map((r) => `${r.method} ${r.url}`);

  it('authFetch: the token request and the API request go through the proxy', async () => {
    proxyEnv({ HTTP_PROXY: forwardProxy.url });
    const res = await authFetch(manager())(server.url('/api/items'));
    assert.deepEqual(await res.json(), { ok: true });
    assert.deepEqual(proxied(), [`POST ${server.url('/token')}`, `GET ${server.url('/api/items')}`]);
    assert.equal(server.seen[1]!.headers.authorization, 'Bearer at-callers');
  });

  it('authFetch with NO_PROXY listing the host: nothing goes through the proxy', async () => {
    proxyEnv({ HTTP_PROXY: forwardProxy.url, NO_PROXY: '127.0.0.1' });
    const res = await authFetch(manager())(server.url('/api/items'));
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.deepEqual(proxied(), []);
    assert.deepEqual(serverSaw(), ['POST /token', 'GET /api/items']);
  });

  it('kalturaFetch: the api_v3 request goes through the proxy', async () => {
    proxyEnv({ HTTP_PROXY: forwardProxy.url });
    const ks = new TokenManager(
      kaltura.adminSession({
        serviceUrl: server.origin,
        partnerId: 1234567,
        adminSecret: 'kaltura-secret',
        local: true,
      }),
    );
    const res = await kaltura.kalturaFetch(ks)(server.url('/api_v3/service/media/action/list'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 1 }),
    });
    assert.deepEqual(await res.json(), { ok: true });
    assert.deepEqual(proxied(), [`POST ${server.url('/api_v3/service/media/action/list')}`]);
  });

  it('the proxy: its upstream requests (in a CONNECT tunnel) and its token requests go through the proxy', async () => {
    proxyEnv({ HTTP_PROXY: forwardProxy.url });
    const handle = await proxy.start({ source: manager(), upstream: `${server.origin}/base/` });
    try {
      const answers = [await call(`${handle.url}/items/7`), await call(`${handle.url}/items/8`)];
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200],
      );
      assert.deepEqual(proxied(), [`POST ${server.url('/token')}`]);
      // One tunnel, kept alive for both requests.
      assert.deepEqual(
        forwardProxy.tunnels.map((t) => t.target),
        [new URL(server.origin).host],
      );
      assert.deepEqual(serverSaw(), ['POST /token', 'GET /base/items/7', 'GET /base/items/8']);
      assert.equal(server.seen[1]!.headers.authorization, 'Bearer at-callers');
    } finally {
      await handle.close();
    }
  });

  it('the proxy with NO_PROXY listing the upstream: direct', async () => {
    proxyEnv({ HTTP_PROXY: forwardProxy.url, NO_PROXY: '127.0.0.1' });
    const handle = await proxy.start({ source: manager(), upstream: `${server.origin}/base/` });
    try {
      assert.equal((await call(`${handle.url}/items/7`)).status, 200);
      assert.deepEqual(proxied(), []);
      assert.deepEqual(serverSaw(), ['POST /token', 'GET /base/items/7']);
    } finally {
      await handle.close();
    }
  });
});
