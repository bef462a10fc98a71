import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';

/** A loopback API that refuses the first credential it sees and records what each request carried. */
async function startRefusingApi(refusal: (res: import('node:http').ServerResponse) => void) {
  let refused: string | undefined;
  const seen: Array<{ credential: string; body: string }> = [];
  const credentialOf = (req: IncomingMessage) =>
    req.headers.authorization ?? new URL(req.url ?? '/', 'http://x').searchParams.get('ks') ?? '';
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const credential = credentialOf(req) || String((JSON.parse(body || '{}') as { ks?: string }).ks ?? '');
    seen.push({ credential, body });
    refused ??= credential;
    if (credential === refused) refusal(res);
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// Issue #13 item 2: one renew-and-replay rule for authFetch, kalturaFetch and the proxy.
describe('one renew-and-replay rule', () => {
  let emu: OidcEmulator;
  before(async () => {
    emu = await startOidcEmulator();
  });
  after(() => emu.close());

  it('authFetch renews after a 401 even when the body cannot be replayed, so the next request works', async () => {
    const api = await startRefusingApi((res) => res.writeHead(401).end());
    try {
      const manager = new TokenManager(
        oauth2.clientCredentials({
          issuer: emu.issuer,
          clientId: emu.clients.confidential.clientId,
          clientSecret: emu.clients.confidential.clientSecret,
        }),
      );
      const api1 = authFetch(manager);
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('streamed body'));
          c.close();
        },
      });
      const first = await api1(`${api.url}/upload`, {
        method: 'POST',
        body: stream,
        duplex: 'half',
      } as RequestInit);
      assert.equal(first.status, 401, 'a streamed body is not sent twice: the 401 is handed back');
      assert.equal(api.seen.length, 1);
      assert.equal(manager.stats.acquired, 2, 'the refused token was renewed anyway');

      const next = await api1(`${api.url}/things`);
      assert.equal(next.status, 200);
      assert.equal(api.seen.length, 2);
      assert.notEqual(api.seen[1]!.credential, api.seen[0]!.credential);
      assert.equal(manager.stats.acquired, 2, 'no further renewal');
    } finally {
      await api.close();
    }
  });

  it("kalturaFetch also renews on INVALID_KS in api_v3's default XML answer (no format=1)", async () => {
    const api = await startRefusingApi((res) =>
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<?xml version="1.0" encoding="utf-8"?><xml><result><error><code>INVALID_KS</code><message>Invalid KS "x"</message><objectType>KalturaAPIException</objectType><args></args></error></result><executionTime>0.01</executionTime></xml>',
        ),
    );
    try {
      const manager = new TokenManager(
        kaltura.adminSession({
          serviceUrl: api.url,
          partnerId: 4242,
          adminSecret: 'renewal-test-admin-secret-2',
          local: true,
        }),
      );
      const res = await kaltura.kalturaFetch(manager)(`${api.url}/api_v3/service/session/action/get`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
      assert.equal(api.seen.length, 2, 'refused once (XML), renewed, replayed once');
      assert.notEqual(api.seen[1]!.credential, api.seen[0]!.credential);
    } finally {
      await api.close();
    }
  });

  it('kalturaFetch keeps the body of a Request input, and replays it after INVALID_KS', async () => {
    const api = await startRefusingApi((res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ objectType: 'KalturaAPIException', code: 'INVALID_KS', message: 'Invalid KS' }),
        ),
    );
    try {
      const manager = new TokenManager(
        kaltura.adminSession({
          serviceUrl: api.url,
          partnerId: 4242,
          adminSecret: 'renewal-test-admin-secret-1',
          local: true,
        }),
      );
      const fetchKs = kaltura.kalturaFetch(manager);
      const request = new Request(`${api.url}/api_v3/service/media/action/list`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ format: 1, filter: { objectType: 'KalturaMediaEntryFilter' } }),
      });
      const res = await fetchKs(request);
      assert.deepEqual(await res.json(), { ok: true });
      assert.equal(api.seen.length, 2, 'refused once, replayed once');
      for (const seen of api.seen) {
        const body = JSON.parse(seen.body) as { format?: number; filter?: unknown; ks?: string };
        assert.equal(body.format, 1, 'the Request body arrived');
        assert.deepEqual(body.filter, { objectType: 'KalturaMediaEntryFilter' });
        assert.equal(typeof body.ks, 'string');
      }
      assert.notEqual(api.seen[1]!.credential, api.seen[0]!.credential, 'the replay carried a new KS');
    } finally {
      await api.close();
    }
  });
});
