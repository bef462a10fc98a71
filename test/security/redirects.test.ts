import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isTokensmithError, type TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import { parseHeader, SaltCache, signer } from 'tokensmith/internal/kalliope/index.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { call } from '../../packages/tokensmith/test/proxy/client.js';
import { type HostileServer, json, redirect, startHostileServer, trustingFetch } from './hostile-server.js';

/**
 * Issue #11 item 1: every path that sends a secret follows redirects itself, within the origin the
 * secret belongs to, never from https to http, at most 5 in a row; a refused redirect is
 * ERR_REDIRECT_REFUSED naming both origins (and nothing else of the URLs).
 *
 * Three servers: `a` (http 127.0.0.1), `b` (http 127.0.0.2, "another host") and `s` (https 127.0.0.1).
 */

const ADMIN_SECRET = 'adm1n-s3cret-0f-th3-partn3r';
const CLIENT_SECRET = 'cl1ent-s3cret-f0r-th3-t0ken-endp0int';
const PBX_PASSWORD = 'pbx-passw0rd-n0t-t0-be-guessed';
const ACCESS_TOKEN = 'at-0123456789abcdef';

type Outcome<T> = { value: T; error?: undefined } | { value?: undefined; error: unknown };

async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** The refusal: ERR_REDIRECT_REFUSED whose message names both origins and no path or query. */
function assertRefused(outcome: Outcome<unknown>, from: string, to: string, paths: string[] = []): void {
  assert.ok(outcome.error !== undefined, 'expected ERR_REDIRECT_REFUSED, the call succeeded');
  assert.ok(
    isTokensmithError(outcome.error, 'ERR_REDIRECT_REFUSED'),
    `expected ERR_REDIRECT_REFUSED, got ${(outcome.error as { code?: string }).code}: ${(outcome.error as Error).message}`,
  );
  const message = (outcome.error as TokensmithError).message;
  assert.ok(message.includes(from), `message names ${from}: ${message}`);
  assert.ok(message.includes(to), `message names ${to}: ${message}`);
  for (const p of paths) assert.ok(!message.includes(p), `message must not quote the path ${p}: ${message}`);
}

/** Requests `server` received whose path (without query) is `path`. */
function at(server: HostileServer, path: string) {
  return server.seen.filter((r) => r.url.split('?')[0] === path);
}

describe('redirects never carry a secret to another origin', () => {
  let a: HostileServer;
  let b: HostileServer;
  let s: HostileServer;

  before(async () => {
    configureLogging({ level: 'silent' });
    a = await startHostileServer();
    b = await startHostileServer({ host: '127.0.0.2' });
    s = await startHostileServer({ tls: true });
    b.on('*', json('KS-FROM-THE-OTHER-HOST'));
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), s.close()]);
  });
  beforeEach(() => {
    a.reset();
    b.reset();
    s.reset();
  });

  describe('Kaltura client: session.start with the admin secret in the body', () => {
    const startPath = '/api_v3/service/session/action/start';
    const cases = [
      { name: 'https → http on another host (307)', from: () => s, to: () => b, status: 307 },
      { name: 'http → http on another host (308)', from: () => a, to: () => b, status: 308 },
      { name: 'https → http on the same host, another port (307)', from: () => s, to: () => a, status: 307 },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}; the other origin receives nothing`, async () => {
        const from = c.from();
        const to = c.to();
        from.on(startPath, redirect(to.url(startPath), c.status));
        to.on(startPath, json('KS-FROM-THE-OTHER-HOST'));
        const provider = kaltura.adminSession({
          serviceUrl: from.origin,
          partnerId: 4242,
          adminSecret: ADMIN_SECRET,
          fetch: trustingFetch(),
        });
        const outcome = await settle(new TokenManager(provider).getCredential());
        assert.deepEqual(
          at(to, startPath).map((r) => ({ method: r.method, hasSecret: r.body.includes(ADMIN_SECRET) })),
          [],
          'the other origin received session.start',
        );
        assertRefused(outcome, from.origin, to.origin, [startPath]);
        assert.equal(at(from, startPath).length, 1, 'sent once: a refused redirect is not retried');
      });
    }

    it('follows a redirect within the service origin, with the secret', async () => {
      a.on(startPath, redirect(a.url('/moved/session-start'), 307));
      a.on('/moved/session-start', json('KS-SAME-ORIGIN'));
      const provider = kaltura.adminSession({
        serviceUrl: a.origin,
        partnerId: 4242,
        adminSecret: ADMIN_SECRET,
      });
      const credential = await new TokenManager(provider).getCredential();
      assert.equal(credential.token, 'KS-SAME-ORIGIN');
      assert.deepEqual(
        a.seen.map((r) => [r.method, r.url, r.body.includes(ADMIN_SECRET)]),
        [
          ['POST', startPath, true],
          ['POST', '/moved/session-start', true],
        ],
      );
    });

    it('stops after 5 redirects with ERR_REDIRECT_REFUSED', async () => {
      a.on('/api_v3/service/session/action/get', redirect(a.url('/api_v3/service/session/action/get')));
      const client = new kaltura.KalturaClient({ serviceUrl: a.origin, retry: false });
      const outcome = await settle(client.call('session', 'get', {}, { ks: 'KS-TO-CHECK' }));
      assert.equal(a.seen.length, 6, 'the request and 5 redirects');
      assert.ok(isTokensmithError(outcome.error, 'ERR_REDIRECT_REFUSED'), String(outcome.error));
      assert.match((outcome.error as Error).message, /5 redirects/);
    });
  });

  describe('kalturaFetch: the KS in the body or the query', () => {
    const provider = () =>
      kaltura.adminSession({ local: true, serviceUrl: a.origin, partnerId: 4242, adminSecret: ADMIN_SECRET });

    it('refuses a 307 to another origin: the KS in the JSON body is not re-sent there', async () => {
      a.on('/api_v3/service/media/action/list', redirect(b.url('/api_v3/service/media/action/list')));
      const manager = new TokenManager(provider());
      const ks = (await manager.getCredential()).token;
      const outcome = await settle(
        kaltura.kalturaFetch(manager)(a.url('/api_v3/service/media/action/list'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filter: { objectType: 'KalturaMediaEntryFilter' } }),
        }),
      );
      assert.deepEqual(
        b.seen.map((r) => r.body.includes(ks)),
        [],
        'the other origin received the request',
      );
      assertRefused(outcome, a.origin, b.origin, ['/api_v3']);
      assert.equal(JSON.parse(a.seen[0]!.body).ks, ks, 'the service origin got the KS');
    });

    it('refuses a 302 to another origin of a request with the KS in its query', async () => {
      a.on('/api_v3/service/media/action/get', redirect(b.url('/elsewhere'), 302));
      const manager = new TokenManager(provider());
      const outcome = await settle(
        kaltura.kalturaFetch(manager)(a.url('/api_v3/service/media/action/get?entryId=0_abc')),
      );
      assert.deepEqual(b.seen, [], 'the other origin received the request');
      assertRefused(outcome, a.origin, b.origin, ['/api_v3', '/elsewhere', 'entryId']);
      assert.match(a.seen[0]!.url, /[?&]ks=/);
    });
  });

  describe('authFetch', () => {
    const pbx = () =>
      signer({
        url: `${a.origin}/default`,
        username: 'admin',
        password: PBX_PASSWORD,
        saltCache: new SaltCache(),
      });

    beforeEach(() => {
      a.on('/rest/salt/default', json({ salt: 'pbx-salt' }));
      a.on('/token', json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }));
    });

    it('with the Kalliope signer: a cross-origin 302 is refused, X-authenticate never reaches the other host', async () => {
      a.on('/rest/account', redirect(b.url('/rest/account'), 302));
      const outcome = await settle(authFetch(pbx())(a.url('/rest/account')));
      assert.deepEqual(
        b.seen.map((r) => r.headers['x-authenticate']),
        [],
        'the other origin received the request',
      );
      assertRefused(outcome, a.origin, b.origin, ['/rest']);
      assert.ok(at(a, '/rest/account')[0]!.headers['x-authenticate'], 'the PBX got the header');
    });

    it('with the Kalliope signer: a same-origin 302 is followed with a freshly signed header', async () => {
      a.on('/rest/old', redirect(a.url('/rest/new'), 302));
      a.on('/rest/new', json({ ok: true }));
      const response = await authFetch(pbx())(a.url('/rest/old'));
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true });
      const signed = a.seen
        .filter((r) => r.url.startsWith('/rest/old') || r.url.startsWith('/rest/new'))
        .map((r) => ({ url: r.url, fields: parseHeader(String(r.headers['x-authenticate'] ?? '')) }));
      assert.deepEqual(
        signed.map((x) => [x.url, x.fields?.username]),
        [
          ['/rest/old', 'admin'],
          ['/rest/new', 'admin'],
        ],
      );
      assert.notEqual(signed[0]!.fields!.nonce, signed[1]!.fields!.nonce, 'each hop has its own nonce');
    });

    it('with a bearer token: a cross-origin 307 is refused, the other origin receives nothing', async () => {
      const manager = new TokenManager(
        oauth2.clientCredentials({
          tokenEndpoint: a.url('/token'),
          clientId: 'api-client',
          clientSecret: CLIENT_SECRET,
        }),
      );
      a.on('/api/items', redirect(b.url('/api/items'), 307));
      const outcome = await settle(
        authFetch(manager)(a.url('/api/items'), { method: 'POST', body: 'name=x' }),
      );
      assert.deepEqual(
        b.seen.map((r) => r.headers.authorization),
        [],
        'the other origin received the request',
      );
      assertRefused(outcome, a.origin, b.origin, ['/api/items']);
      assert.equal(at(a, '/api/items')[0]!.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
    });

    it('with a bearer token: an https → http 302 on the same host is refused', async () => {
      const manager = new TokenManager(
        oauth2.clientCredentials({
          tokenEndpoint: a.url('/token'),
          clientId: 'api-client',
          clientSecret: CLIENT_SECRET,
        }),
      );
      s.on('/api/things', redirect(a.url('/api/things'), 302));
      const outcome = await settle(authFetch(manager, { fetch: trustingFetch() })(s.url('/api/things')));
      assert.deepEqual(at(a, '/api/things'), [], 'the http origin received the request');
      assertRefused(outcome, s.origin, a.origin, ['/api/things']);
      assert.equal(at(s, '/api/things')[0]!.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
    });

    it('303 turns a POST into a GET without body; a 307 of a streamed body is handed back unfollowed', async () => {
      const manager = new TokenManager(
        oauth2.clientCredentials({
          tokenEndpoint: a.url('/token'),
          clientId: 'api-client',
          clientSecret: CLIENT_SECRET,
        }),
      );
      const api = authFetch(manager);
      a.on('/form', redirect(a.url('/done'), 303));
      a.on('/done', json({ done: true }));
      const after303 = await api(a.url('/form'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      });
      assert.equal(after303.status, 200);
      const done = at(a, '/done');
      assert.deepEqual(
        done.map((r) => [r.method, r.body, r.headers['content-type'], r.headers.authorization]),
        [['GET', '', undefined, `Bearer ${ACCESS_TOKEN}`]],
      );

      a.on('/upload', redirect(a.url('/upload-here'), 307));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('streamed-bytes'));
          controller.close();
        },
      });
      const outcome = await settle(
        api(a.url('/upload'), { method: 'PUT', body: stream, duplex: 'half' } as RequestInit),
      );
      assert.ok(outcome.value, `expected the 307 back, got ${String(outcome.error)}`);
      assert.equal(outcome.value.status, 307);
      assert.equal(outcome.value.headers.get('location'), a.url('/upload-here'));
      assert.deepEqual(at(a, '/upload-here'), []);
    });
  });

  describe('token endpoint and discovery (oauth4webapi asks for redirect: manual)', () => {
    it('a 307 from the token endpoint to another origin is not followed with the client secret', async () => {
      a.on('/t307', redirect(b.url('/token'), 307));
      const provider = oauth2.clientCredentials({
        tokenEndpoint: a.url('/t307'),
        clientId: 'api-client',
        clientSecret: CLIENT_SECRET,
        clientAuth: 'client_secret_post',
      });
      const outcome = await settle(new TokenManager(provider).getCredential());
      assert.deepEqual(b.seen, [], 'the other origin received the token request');
      assertRefused(outcome, a.origin, b.origin, ['/t307', '/token']);
      assert.equal(a.seen.length, 1, 'sent once: a refused redirect is not retried');
      assert.ok(a.seen[0]!.body.includes(CLIENT_SECRET));
    });

    it('an https token endpoint redirecting to http on the same host is refused', async () => {
      s.on('/tls-token', redirect(a.url('/token'), 307));
      const provider = oauth2.clientCredentials({
        tokenEndpoint: s.url('/tls-token'),
        clientId: 'api-client',
        clientSecret: CLIENT_SECRET,
        fetch: trustingFetch(),
      });
      const outcome = await settle(new TokenManager(provider).getCredential());
      assert.deepEqual(at(a, '/token'), []);
      assertRefused(outcome, s.origin, a.origin, ['/tls-token']);
    });

    it('a 307 from the token endpoint within its origin is followed, secret and body kept', async () => {
      a.on('/tmoved', redirect(a.url('/token-here'), 307));
      a.on('/token-here', json({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }));
      const provider = oauth2.clientCredentials({
        tokenEndpoint: a.url('/tmoved'),
        clientId: 'api-client',
        clientSecret: CLIENT_SECRET,
        clientAuth: 'client_secret_post',
      });
      const credential = await new TokenManager(provider).getCredential();
      assert.equal(credential.token, ACCESS_TOKEN);
      assert.deepEqual(
        a.seen.map((r) => [r.method, r.url, r.body.includes(CLIENT_SECRET), r.body.includes('grant_type')]),
        [
          ['POST', '/tmoved', true, true],
          ['POST', '/token-here', true, true],
        ],
      );
    });

    it('a discovery document redirected to another origin is refused', async () => {
      a.on(
        '/realm/.well-known/openid-configuration',
        redirect(b.url('/realm/.well-known/openid-configuration'), 302),
      );
      const provider = oauth2.clientCredentials({
        issuer: a.url('/realm'),
        clientId: 'api-client',
        clientSecret: CLIENT_SECRET,
      });
      const outcome = await settle(new TokenManager(provider).getCredential());
      assert.deepEqual(b.seen, []);
      assertRefused(outcome, a.origin, b.origin, ['/realm', 'well-known']);
    });
  });

  describe('Kalliope salt', () => {
    it('a salt answer redirected to another origin is refused (the salt decides the digest)', async () => {
      a.on('/rest/salt/moved', redirect(b.url('/rest/salt/moved'), 302));
      b.on('/rest/salt/moved', json({ salt: 'salt-chosen-by-the-other-host' }));
      const s1 = signer({
        url: `${a.origin}/moved`,
        username: 'admin',
        password: PBX_PASSWORD,
        saltCache: new SaltCache(),
      });
      const outcome = await settle(s1.header());
      assert.deepEqual(b.seen, [], 'the other origin was asked for the salt');
      assertRefused(outcome, a.origin, b.origin, ['/rest/salt']);
    });
  });

  describe('proxy upstream', () => {
    it('never follows an upstream redirect: the 307 reaches the client, the other origin receives nothing', async () => {
      a.on('/rest/salt/default', json({ salt: 'pbx-salt' }));
      a.on('/base/things', redirect(b.url('/base/things'), 307));
      const handle = await proxy.start({
        source: signer({
          url: `${a.origin}/default`,
          username: 'admin',
          password: PBX_PASSWORD,
          saltCache: new SaltCache(),
        }),
        upstream: a.url('/base/'),
      });
      try {
        const answer = await call(`${handle.url}/things`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: Buffer.from('payload'),
        });
        assert.equal(answer.status, 307);
        assert.equal(answer.headers.location, b.url('/base/things'));
        assert.deepEqual(b.seen, []);
        const forwarded = at(a, '/base/things');
        assert.equal(forwarded.length, 1);
        assert.equal(parseHeader(String(forwarded[0]!.headers['x-authenticate']))?.username, 'admin');
      } finally {
        await handle.close();
      }
    });
  });
});
