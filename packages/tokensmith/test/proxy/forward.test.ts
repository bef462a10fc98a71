import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import type { RequestSigner } from 'tokensmith/internal/core/provider.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { call, json } from './client.js';
import { patternBytes, patternSha256, startUpstream, tokensSeen } from './upstream.js';

type Upstream = Awaited<ReturnType<typeof startUpstream>>;

describe('proxy forwarding against a real token endpoint and a loopback API', () => {
  let emu: OidcEmulator;
  let api: Upstream;
  let manager: TokenManager;
  let handle: proxy.ProxyHandle;

  before(async () => {
    configureLogging({ level: 'silent' }); // failure cases log warnings on purpose
    emu = await startOidcEmulator();
  });
  after(() => emu.close());

  beforeEach(async () => {
    api = await startUpstream();
    manager = new TokenManager(
      oauth2.clientCredentials({
        issuer: emu.issuer,
        clientId: emu.clients.confidential.clientId,
        clientSecret: emu.clients.confidential.clientSecret,
      }),
    );
    handle = await proxy.start({ source: manager, upstream: `${api.origin}/base/` });
    emu.resetStats();
  });
  afterEach(async () => {
    await handle.close();
    await api.close();
  });

  it('injects the credential, strips the client’s Authorization and hop-by-hop headers, joins paths', async () => {
    const answer = await call(`${handle.url}/items/7?view=full&x=1`, {
      headers: {
        authorization: 'Bearer client-supplied-token',
        'proxy-authorization': 'Basic Y2xpZW50OnNlY3JldA==',
        'x-custom': 'kept',
        'x-drop-me': 'hop',
        connection: 'keep-alive, x-drop-me',
        te: 'trailers',
      },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-upstream'], 'yes');
    assert.equal(api.seen.length, 1);
    const seen = api.seen[0]!;
    const token = (await manager.getCredential()).token;
    assert.equal(seen.headers.authorization, `Bearer ${token}`);
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers['x-drop-me'], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers.host, new URL(api.origin).host);
    assert.equal(seen.url, '/base/items/7?view=full&x=1');
    assert.equal(emu.stats.tokenRequests, 1);
    assert.deepEqual({ ...handle.stats }, { requests: 1, retries: 0, errors: 0, inFlight: 0 });
  });

  it('401 on a replayable request: exactly one renewal and one replay, then success', async () => {
    await call(`${handle.url}/warm`);
    const first = tokensSeen(api.seen)[0]!;
    api.revoked.add(first);
    emu.resetStats();
    const body = Buffer.from(JSON.stringify({ hello: 'world' }));
    const answer = await call(`${handle.url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
      body,
    });
    assert.equal(answer.status, 200);
    assert.equal(emu.stats.tokenRequests, 1, 'one renewal at the token endpoint');
    const tokens = tokensSeen(api.seen);
    assert.equal(tokens.length, 3);
    assert.deepEqual(tokens.slice(0, 2), [first, first]);
    assert.notEqual(tokens[2], first);
    const replay = api.seen[2]!;
    assert.equal(replay.method, 'POST');
    assert.equal(replay.bytes, body.length);
    assert.equal(replay.sha256, createHash('sha256').update(body).digest('hex'), 'same body replayed');
    assert.deepEqual({ ...handle.stats }, { requests: 2, retries: 1, errors: 0, inFlight: 0 });
  });

  it('401 on 20 concurrent requests with the same revoked token: still one renewal', async () => {
    await call(`${handle.url}/warm`);
    api.revoked.add(tokensSeen(api.seen)[0]!);
    emu.resetStats();
    const revoked = tokensSeen(api.seen)[0];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`${handle.url}/n/${i}`)));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(20).fill(200),
    );
    assert.equal(emu.stats.tokenRequests, 1);
    // Requests that started after the renewal never saw a 401; each one that did was replayed once.
    const rejected = tokensSeen(api.seen).filter((t) => t === revoked).length - 1;
    assert.ok(rejected >= 1);
    assert.equal(handle.stats.retries, rejected);
    assert.equal(api.seen.length, 1 + 20 + rejected);
  });

  it('401 on a non-replayable body (large, or chunked) is passed through, not replayed', async () => {
    await call(`${handle.url}/warm`);
    const first = tokensSeen(api.seen)[0]!;
    api.revoked.add(first);
    emu.resetStats();
    const big = patternBytes(100 * 1024); // over the 64 KiB replay limit
    const large = await call(`${handle.url}/upload`, {
      method: 'PUT',
      headers: { 'content-length': big.length },
      body: Readable.from([big.subarray(0, 50_000), big.subarray(50_000)]),
    });
    assert.equal(large.status, 401);
    assert.equal(large.body.toString(), 'unauthorized');
    assert.equal(large.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.equal(api.seen.length, 2, 'sent once');
    assert.equal(handle.stats.retries, 0);
    assert.equal(emu.stats.tokenRequests, 1, 'renewed so the client’s own retry works');

    const renewed = (await manager.getCredential()).token;
    api.revoked.add(renewed);
    emu.resetStats();
    const chunked = await call(`${handle.url}/upload`, {
      method: 'POST',
      // Paced, so the body is still arriving when the proxy forwards it.
      body: Readable.from(
        (async function* () {
          yield Buffer.from('small ');
          await new Promise((r) => setTimeout(r, 20));
          yield Buffer.from('but chunked');
        })(),
      ),
    });
    assert.equal(chunked.status, 401);
    assert.equal(api.seen.length, 3);
    assert.equal(api.seen[2]!.headers['transfer-encoding'], 'chunked');
    assert.equal(handle.stats.retries, 0);
    assert.equal(emu.stats.tokenRequests, 1);

    // The client's retry goes through with the renewed credential.
    const retry = await call(`${handle.url}/upload`, { method: 'POST', body: Buffer.from('again') });
    assert.equal(retry.status, 200);
    assert.deepEqual(tokensSeen(api.seen).slice(1), [first, renewed, (await manager.getCredential()).token]);
    assert.equal(emu.stats.tokenRequests, 1);
  });

  it('streams a 20 MB upload and a 20 MB download intact', async () => {
    const size = 20 * 1024 * 1024;
    const chunks = function* () {
      for (let at = 0; at < size; at += 1 << 20) yield patternBytes(Math.min(1 << 20, size - at), at);
    };
    const up = await call(`${handle.url}/upload`, {
      method: 'POST',
      headers: { 'content-length': size },
      body: Readable.from(chunks()),
    });
    assert.equal(up.status, 200);
    const expected = patternSha256(size);
    assert.deepEqual(json(up), { method: 'POST', url: '/base/upload', bytes: size, sha256: expected });

    const down = await call(`${handle.url}/download?bytes=${size}`);
    assert.equal(down.status, 200);
    assert.equal(down.headers['content-length'], String(size));
    assert.equal(down.body.length, size);
    assert.equal(down.sha256, expected);
  });

  it('streams both ways at once: each chunk comes back before the next is sent', async () => {
    const req = request(`${handle.url}/echo`, { method: 'POST' });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve).on('error', reject);
      req.flushHeaders();
      req.write('chunk-1;');
    });
    assert.equal(res.statusCode, 200);
    const read = () => new Promise<string>((r) => res.once('data', (c: Buffer) => r(c.toString())));
    assert.equal(await read(), 'chunk-1;');
    req.write('chunk-2;');
    assert.equal(await read(), 'chunk-2;');
    req.end();
    await new Promise((r) => res.on('end', r).resume());
  });

  it('a client that goes away mid-download ends the exchange as an error, and the proxy carries on', async () => {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
      request(`${handle.url}/download?bytes=${64 * 1024 * 1024}`, resolve)
        .on('error', reject)
        .end(),
    );
    assert.equal(res.statusCode, 200);
    // Read a little, then stop reading and hang up while the proxy is held back by backpressure.
    await new Promise((r) => res.once('data', r));
    res.pause();
    await new Promise((r) => setTimeout(r, 50));
    res.destroy();
    for (let i = 0; i < 100 && handle.stats.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual({ ...handle.stats }, { requests: 1, retries: 0, errors: 1, inFlight: 0 });
    assert.equal((await call(`${handle.url}/after`)).status, 200);
  });

  it('keeps upstream connections alive: 50 sequential requests use one connection', async () => {
    for (let i = 0; i < 50; i++) assert.equal((await call(`${handle.url}/seq/${i}`)).status, 200);
    assert.equal(api.seen.length, 50);
    assert.equal(api.connections, 1);
  });

  it('answers 502 with an error code when the upstream is down', async () => {
    await api.close();
    const answer = await call(`${handle.url}/anything`);
    assert.equal(answer.status, 502);
    assert.equal(answer.headers['content-type'], 'application/json');
    const body = json<{ error: { code: string; message: string } }>(answer);
    assert.equal(body.error.code, 'ERR_NETWORK');
    assert.match(body.error.message, /ECONNREFUSED/);
    assert.deepEqual({ ...handle.stats }, { requests: 1, retries: 0, errors: 1, inFlight: 0 });
  });

  it('answers 502 with the credential’s error code when no credential can be had', async () => {
    const broken = await proxy.start({
      source: oauth2.clientCredentials({
        tokenEndpoint: emu.tokenEndpoint,
        clientId: emu.clients.confidential.clientId,
        clientSecret: 'not-the-secret',
      }),
      upstream: api.origin,
    });
    try {
      const answer = await call(`${broken.url}/x`);
      assert.equal(answer.status, 502);
      assert.equal(json<{ error: { code: string } }>(answer).error.code, 'ERR_OAUTH_INVALID_CLIENT');
      assert.equal(api.seen.length, 0, 'nothing reached the API');
    } finally {
      await broken.close();
    }
  });
});

describe('proxy with a per-request signer', () => {
  it('signs every request for its own URL and calls onUnauthorized once before the replay', async () => {
    const api = await startUpstream();
    const signed: string[] = [];
    let unauthorized = 0;
    let serial = 0;
    const signer: RequestSigner = {
      kind: 'test-signer',
      async sign(req) {
        signed.push(`${req.method} ${req.url}`);
        return { authorization: `Bearer signed-${++serial}` };
      },
      async onUnauthorized(response) {
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
        unauthorized++;
      },
    };
    api.revoked.add('signed-1');
    const handle = await proxy.start({ source: signer, upstream: `${api.origin}/v2` });
    try {
      const answer = await call(`${handle.url}/calls?id=3`, { method: 'DELETE' });
      assert.equal(answer.status, 200);
      assert.deepEqual(signed, [`DELETE ${api.origin}/v2/calls?id=3`, `DELETE ${api.origin}/v2/calls?id=3`]);
      assert.equal(unauthorized, 1);
      assert.deepEqual(tokensSeen(api.seen), ['signed-1', 'signed-2']);
      assert.equal(handle.stats.retries, 1);
    } finally {
      await handle.close();
      await api.close();
    }
  });
});
