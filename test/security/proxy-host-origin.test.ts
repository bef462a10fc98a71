import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { acceptedHostNames } from 'tokensmith/internal/proxy/guard.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { json as bodyOf, call } from '../../packages/tokensmith/test/proxy/client.js';
import { cliArgs } from '../helpers/cli.js';
import { type HostileServer, json, startHostileServer } from './hostile-server.js';

/**
 * Issue #11 item 8: the proxy answers only for its own Host names (DNS rebinding) and refuses
 * cross-site browser requests (CSRF) unless their origin was allowed. One hostile server is both the
 * token endpoint and the upstream API; it answers every API call with a permissive CORS header, so
 * a forwarded cross-site request would hand the page the upstream's answer.
 */

const TOKEN = 'tok-host-origin-4f1c9a';
const CLIENT_SECRET = 'client-secret-host-origin-77ad';

function serveTokenAndApi(server: HostileServer): void {
  server.on('/token', json({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }));
  server.on('*', (req) =>
    json({ path: req.url }, 200, {
      'access-control-allow-origin': String(req.headers.origin ?? '*'),
      'access-control-allow-credentials': 'true',
    }),
  );
}

/** Requests the upstream received for the API (not the token endpoint). */
function apiCalls(server: HostileServer) {
  return server.seen.filter((r) => !r.url.startsWith('/token'));
}

describe('proxy: Host and Origin checks', () => {
  let upstream: HostileServer;
  let handle: proxy.ProxyHandle;
  let port: number;

  before(async () => {
    configureLogging({ level: 'silent' }); // refusals are logged as warnings on purpose
    upstream = await startHostileServer();
    serveTokenAndApi(upstream);
  });
  after(() => upstream.close());

  const source = () =>
    new TokenManager(
      oauth2.clientCredentials({
        tokenEndpoint: upstream.url('/token'),
        clientId: 'proxy-client',
        clientSecret: CLIENT_SECRET,
        retry: false,
      }),
    );

  describe('default options (listening on 127.0.0.1)', () => {
    beforeEach(async () => {
      handle = await proxy.start({ source: source(), upstream: upstream.url('/api') });
      port = handle.address.port;
      upstream.reset();
    });
    afterEach(() => handle.close());

    it('DNS rebinding: a foreign Host with its own Origin gets 421 ERR_HOST_NOT_ALLOWED, nothing is forwarded', async () => {
      const answer = await call(`${handle.url}/me`, {
        headers: { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` },
      });
      assert.equal(answer.status, 421);
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.equal(answer.headers['access-control-allow-origin'], undefined);
      assert.equal(bodyOf<{ error: { code: string } }>(answer).error.code, 'ERR_HOST_NOT_ALLOWED');
      assert.ok(!answer.body.toString().includes(TOKEN));
      assert.deepEqual(upstream.seen, [], 'neither the token endpoint nor the API was called');
    });

    it('a foreign Host is refused even without Origin, and for the health endpoint too', async () => {
      const plain = await call(`${handle.url}/me`, { headers: { host: 'attacker.example' } });
      assert.equal(plain.status, 421);
      const health = await call(`${handle.url}${proxy.HEALTH_PATH}`, {
        headers: { host: `rebound.example:${port}` },
      });
      assert.equal(health.status, 421);
      assert.equal(bodyOf<{ error: { code: string } }>(health).error.code, 'ERR_HOST_NOT_ALLOWED');
      assert.deepEqual(upstream.seen, []);
    });

    it('the listen address and localhost (any port) are answered', async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', '127.0.0.1:1234']) {
        const answer = await call(`${handle.url}/me`, { headers: { host } });
        assert.equal(answer.status, 200, host);
      }
      const calls = apiCalls(upstream);
      assert.equal(calls.length, 4);
      for (const c of calls) assert.equal(c.headers.authorization, `Bearer ${TOKEN}`);
    });

    it('CSRF: a foreign Origin with the right Host gets 403 ERR_ORIGIN_NOT_ALLOWED, nothing is forwarded', async () => {
      const answer = await call(`${handle.url}/transfer`, {
        method: 'POST',
        headers: {
          host: `127.0.0.1:${port}`,
          origin: 'https://evil.example',
          'sec-fetch-site': 'cross-site',
          'content-type': 'text/plain',
        },
        body: Buffer.from('{"to":"mallory"}'),
      });
      assert.equal(answer.status, 403);
      assert.equal(answer.headers['access-control-allow-origin'], undefined);
      assert.equal(bodyOf<{ error: { code: string } }>(answer).error.code, 'ERR_ORIGIN_NOT_ALLOWED');
      assert.deepEqual(upstream.seen, []);
    });

    it('cross-site and same-site fetch metadata without Origin, and Origin: null, are refused', async () => {
      const cases: Array<Record<string, string>> = [
        { 'sec-fetch-site': 'cross-site' }, // e.g. <img src> or a link from another site
        { 'sec-fetch-site': 'same-site' }, // another local server, e.g. localhost:3000
        { origin: 'null' }, // sandboxed frame, file: page
        { origin: `http://localhost:${port + 1}` }, // another port is another origin
        { origin: `https://127.0.0.1:${port}` }, // another scheme too
      ];
      for (const headers of cases) {
        const answer = await call(`${handle.url}/me`, { headers });
        assert.equal(answer.status, 403, JSON.stringify(headers));
        assert.equal(bodyOf<{ error: { code: string } }>(answer).error.code, 'ERR_ORIGIN_NOT_ALLOWED');
      }
      assert.deepEqual(upstream.seen, []);
    });

    it('same-origin pages, typed URLs and non-browser clients are forwarded', async () => {
      const cases: Array<Record<string, string>> = [
        {}, // curl, scripts
        { 'sec-fetch-site': 'none' }, // typed into the address bar
        { 'sec-fetch-site': 'same-origin', origin: `http://127.0.0.1:${port}` },
        { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' },
      ];
      for (const headers of cases) {
        const answer = await call(`${handle.url}/me`, { headers });
        assert.equal(answer.status, 200, JSON.stringify(headers));
      }
      assert.equal(apiCalls(upstream).length, cases.length);
    });
  });

  describe('acceptHosts and allowOrigins', () => {
    beforeEach(async () => {
      handle = await proxy.start({
        source: source(),
        upstream: upstream.url('/api'),
        acceptHosts: ['proxy.internal', 'API.Local'],
        allowOrigins: ['http://localhost:3000'],
      });
      port = handle.address.port;
      upstream.reset();
    });
    afterEach(() => handle.close());

    it('answers the accepted names (case-insensitive, any port) and still refuses others', async () => {
      for (const host of ['proxy.internal', `proxy.internal:${port}`, `api.local:${port}`]) {
        assert.equal((await call(`${handle.url}/me`, { headers: { host } })).status, 200, host);
      }
      const other = await call(`${handle.url}/me`, { headers: { host: `other.internal:${port}` } });
      assert.equal(other.status, 421);
      assert.equal(apiCalls(upstream).length, 3);
    });

    it('forwards an allowed origin (and lets its CORS answer through); refuses any other', async () => {
      const allowed = await call(`${handle.url}/me`, {
        headers: { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' },
      });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], 'http://localhost:3000');
      const calls = apiCalls(upstream);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.headers.authorization, `Bearer ${TOKEN}`);

      const other = await call(`${handle.url}/me`, {
        headers: { origin: 'http://localhost:3001', 'sec-fetch-site': 'same-site' },
      });
      assert.equal(other.status, 403);
      assert.equal(apiCalls(upstream).length, 1);
    });
  });

  it('refuses option values that are not host names or origins (ERR_CONFIG_INVALID)', async () => {
    const bad: Array<Partial<proxy.ProxyOptions>> = [
      { acceptHosts: [''] },
      { acceptHosts: ['evil.example/path'] },
      { acceptHosts: ['*'] },
      { allowOrigins: ['*'] },
      { allowOrigins: ['http://localhost:3000/app'] },
      { allowOrigins: ['localhost:3000'] },
    ];
    for (const extra of bad) {
      await assert.rejects(
        proxy.start({ source: source(), upstream: upstream.url('/api'), ...extra }),
        (e: { code?: string }) => e.code === 'ERR_CONFIG_INVALID',
        JSON.stringify(extra),
      );
    }
  });

  it('listening on all interfaces answers for localhost and the interface addresses, no other name', () => {
    // Worked out without binding, since tests never listen beyond loopback.
    const names = acceptedHostNames('0.0.0.0', ['box.lan']);
    for (const name of ['127.0.0.1', 'localhost', 'box.lan']) assert.ok(names.has(name), name);
    assert.ok(!names.has('attacker.example'));
    assert.deepEqual([...acceptedHostNames('127.0.0.2')], ['127.0.0.2', 'localhost']);
  });

  it('tokensmith proxy --accept-hosts and --allow-origin (child process)', async () => {
    upstream.reset();
    const child = spawn(
      process.execPath,
      [
        ...cliArgs(),
        'proxy',
        '--token-endpoint',
        upstream.url('/token'),
        '--grant',
        'client_credentials',
        '--client-id',
        'proxy-client',
        '--client-secret-env',
        'PROXY_SECRET',
        '--no-cache',
        '--upstream',
        upstream.url('/api'),
        '--accept-hosts',
        'proxy.internal,box.lan',
        '--allow-origin',
        'http://localhost:3000',
        '--allow-origin',
        'http://localhost:4000',
      ],
      {
        env: { ...process.env, NO_COLOR: '1', TOKENSMITH_LOG: 'warn', PROXY_SECRET: CLIENT_SECRET },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
        });
        child.on('close', () => reject(new Error(`proxy exited early: ${stderr}`)));
      });
      const status = async (headers: Record<string, string>) => (await call(`${url}/x`, { headers })).status;
      assert.equal(await status({ host: 'proxy.internal' }), 200);
      assert.equal(await status({ host: 'box.lan:8080' }), 200);
      assert.equal(await status({ host: 'attacker.example' }), 421);
      assert.equal(await status({ origin: 'http://localhost:4000' }), 200);
      assert.equal(await status({ origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' }), 200);
      assert.equal(await status({ origin: 'https://evil.example' }), 403);
      assert.equal(apiCalls(upstream).length, 4);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.ok(!stderr.includes(TOKEN) && !stderr.includes(CLIENT_SECRET), 'no secret in the log');
  });
});
