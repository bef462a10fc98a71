import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import { SaltCache, signer } from 'tokensmith/internal/kalliope/index.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { type HostileServer, json, startHostileServer } from './hostile-server.js';

/**
 * Issue #11 item 2: credentials are added only for the origin they are configured for. A request to
 * any other origin goes out as the caller made it, without credentials (and without the renewal and
 * replay a 401 or INVALID_KS would cause): `a` (127.0.0.1) is the service, `b` (127.0.0.2) another host.
 */

const ADMIN_SECRET = 'adm1n-s3cret-0f-th3-partn3r';
const CLIENT_SECRET = 'cl1ent-s3cret-f0r-th3-t0ken-endp0int';
const PBX_PASSWORD = 'pbx-passw0rd-n0t-t0-be-guessed';
const INVALID_KS = { objectType: 'KalturaAPIException', code: 'INVALID_KS', message: 'Invalid KS' };

describe('credentials go only to the origin they are configured for', () => {
  let a: HostileServer;
  let b: HostileServer;

  before(async () => {
    configureLogging({ level: 'silent' });
    a = await startHostileServer();
    b = await startHostileServer({ host: '127.0.0.2' });
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  describe('kalturaFetch', () => {
    const manager = (serviceUrl?: string) =>
      new TokenManager(
        kaltura.adminSession({
          local: true,
          ...(serviceUrl ? { serviceUrl } : {}),
          partnerId: 4242,
          adminSecret: ADMIN_SECRET,
        }),
      );

    it('adds the KS for the service origin and not for another origin (query or JSON body)', async () => {
      a.on('*', json({ objects: [] }));
      b.on('*', json({ objects: [] }));
      const m = manager(a.origin);
      const ks = (await m.getCredential()).token;
      const api = kaltura.kalturaFetch(m);
      const jsonPost = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filter: {} }),
      };

      assert.equal((await api(b.url('/api_v3/service/media/action/list?format=1'))).status, 200);
      assert.equal((await api(b.url('/api_v3/service/media/action/list'), jsonPost)).status, 200);
      assert.deepEqual(
        b.seen.map((r) => [r.url, r.body]),
        [
          ['/api_v3/service/media/action/list?format=1', ''],
          ['/api_v3/service/media/action/list', JSON.stringify({ filter: {} })],
        ],
        'the other origin got the requests exactly as made, without the KS',
      );

      await api(a.url('/api_v3/service/media/action/list?format=1'));
      await api(a.url('/api_v3/service/media/action/list'), jsonPost);
      assert.equal(new URL(a.seen[0]!.url, a.origin).searchParams.get('ks'), ks);
      assert.equal(JSON.parse(a.seen[1]!.body).ks, ks);
    });

    it('an INVALID_KS from another origin renews nothing and replays nothing', async () => {
      b.on('*', json(INVALID_KS));
      const m = manager(a.origin);
      await m.getCredential();
      const response = await kaltura.kalturaFetch(m)(b.url('/api_v3/service/media/action/list'));
      assert.deepEqual(await response.json(), INVALID_KS);
      assert.equal(b.seen.length, 1, 'no replay');
      assert.equal(m.stats.acquired, 1, 'no renewal');
    });

    it('a locally made KS without a service URL needs the serviceUrl option', async () => {
      a.on('*', json({ objects: [] }));
      const m = manager();
      await assert.rejects(kaltura.kalturaFetch(m)(a.url('/api_v3/service/media/action/list')), {
        code: 'ERR_CONFIG_INVALID',
        message: /serviceUrl/,
      });
      assert.equal(a.seen.length, 0, 'nothing was sent');

      const api = kaltura.kalturaFetch(m, { serviceUrl: `${a.origin}/api_v3/` });
      await api(a.url('/api_v3/service/media/action/list'));
      await api(b.url('/api_v3/service/media/action/list'));
      const ks = (await m.getCredential()).token;
      assert.equal(new URL(a.seen[0]!.url, a.origin).searchParams.get('ks'), ks);
      assert.equal(new URL(b.seen[0]!.url, b.origin).searchParams.get('ks'), null);
    });
  });

  describe('authFetch with the Kalliope signer', () => {
    it('sends requests to another origin without X-authenticate; a 401 there refetches no salt and replays nothing', async () => {
      a.on('/rest/salt/default', json({ salt: 'pbx-salt' }));
      a.on('/rest/account', json({ ok: true }));
      b.on('*', { status: 401, body: 'who are you' });
      const pbx = signer({
        url: `${a.origin}/default`,
        username: 'admin',
        password: PBX_PASSWORD,
        saltCache: new SaltCache(),
      });
      const api = authFetch(pbx);

      const elsewhere = await api(b.url('/rest/account'));
      assert.equal(elsewhere.status, 401);
      assert.equal(await elsewhere.text(), 'who are you');
      assert.deepEqual(
        b.seen.map((r) => [r.url, r.headers['x-authenticate']]),
        [['/rest/account', undefined]],
      );
      assert.equal(a.seen.length, 0, 'no salt fetched for a request that is not signed');

      assert.equal((await api(a.url('/rest/account'))).status, 200);
      assert.match(
        String(a.seen.at(-1)!.headers['x-authenticate']),
        /^RestApiUsernameToken Username="admin"/,
      );
    });
  });

  describe('authFetch with a token', () => {
    const manager = () =>
      new TokenManager(
        oauth2.clientCredentials({
          tokenEndpoint: a.url('/token'),
          clientId: 'api-client',
          clientSecret: CLIENT_SECRET,
        }),
      );
    beforeEach(() => {
      let n = 0;
      a.on('/token', () => json({ access_token: `at-${++n}`, token_type: 'Bearer', expires_in: 3600 }));
    });

    it('with origins, another origin gets no Authorization and its 401 causes no renewal', async () => {
      a.on('/api', json({ ok: true }));
      b.on('*', { status: 401 });
      const api = authFetch(manager(), { origins: [a.origin] });
      assert.equal((await api(a.url('/api'))).status, 200);
      const elsewhere = await api(b.url('/api'), { headers: { 'x-mine': 'kept' } });
      assert.equal(elsewhere.status, 401);
      assert.deepEqual(
        b.seen.map((r) => [r.headers.authorization, r.headers['x-mine']]),
        [[undefined, 'kept']],
      );
      assert.deepEqual(
        a.seen.map((r) => r.url),
        ['/token', '/api'],
        'one token request: the 401 from the other origin renewed nothing',
      );
      assert.equal(a.seen[1]!.headers.authorization, 'Bearer at-1');
    });

    it('without origins, every origin the caller names gets the token (the documented default)', async () => {
      a.on('/api', json({ ok: true }));
      b.on('*', json({ ok: true }));
      const api = authFetch(manager());
      await api(a.url('/api'));
      await api(b.url('/api'));
      assert.equal(b.seen[0]!.headers.authorization, 'Bearer at-1');
    });

    it('origins must be origins: a path, a query or a non-URL is a configuration error', () => {
      for (const origins of [[`${a.origin}/v1`], [`${a.origin}/?x=1`], ['api.example.com'], []]) {
        assert.throws(
          () => authFetch(manager(), { origins }),
          { code: 'ERR_CONFIG_INVALID' },
          String(origins),
        );
      }
      // A trailing slash and upper case are the same origin.
      authFetch(manager(), { origins: ['https://API.example.com/', 'https://api.example.com:443'] });
    });

    it('an origin entry with user info is refused without quoting its password', () => {
      assert.throws(
        () => authFetch(manager(), { origins: ['https://svc:origin-pass-42@api.example.com'] }),
        (err: Error & { code?: string }) =>
          err.code === 'ERR_CONFIG_INVALID' &&
          !err.message.includes('origin-pass-42') &&
          err.message.includes('https://api.example.com'),
      );
    });
  });
});
