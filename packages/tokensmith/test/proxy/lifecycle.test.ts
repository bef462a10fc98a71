import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { parseListen } from 'tokensmith/internal/proxy/options.js';
import { ExposureLog } from '../../../../test/helpers/secrets.js';
import { call, json } from './client.js';
import { startUpstream, tokensSeen } from './upstream.js';

const hasCode = (code: string, not?: RegExp) => (e: TokensmithError) => {
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  if (not) assert.doesNotMatch(e.message, not);
  return true;
};

const signer = { kind: 'test-signer', sign: async () => ({ authorization: 'Bearer signed-token' }) };

describe('proxy options', () => {
  before(() => configureLogging({ level: 'silent' }));

  it('refuses to listen on a non-loopback address unless allowed', async () => {
    for (const listen of ['0.0.0.0:0', '192.0.2.10:8080', '[::]:0', 'example.com:80']) {
      await assert.rejects(
        proxy.start({ source: signer, upstream: 'http://127.0.0.1:9', listen }),
        hasCode('ERR_CONFIG_INVALID'),
        listen,
      );
    }
    await assert.rejects(
      proxy.start({ source: signer, upstream: 'http://127.0.0.1:9', listen: '0.0.0.0:0' }),
      /allowNonLoopback/,
    );
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseListen('8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen(':8080'), { host: '127.0.0.1', port: 8080 });
    assert.throws(() => parseListen('nope'), hasCode('ERR_CONFIG_INVALID'));
    assert.throws(() => parseListen('127.0.0.1:99999'), hasCode('ERR_CONFIG_INVALID'));
  });

  it('checks the upstream URL without echoing secrets', async () => {
    await assert.rejects(
      proxy.start({ source: signer, upstream: 'http://api.example.com' }),
      hasCode('ERR_INSECURE_HTTP'),
    );
    await assert.rejects(
      proxy.start({ source: signer, upstream: 'https://user:hunter2-pw@api.example.com' }),
      hasCode('ERR_CONFIG_INVALID', /hunter2/),
    );
    await assert.rejects(
      proxy.start({ source: signer, upstream: 'https://api.example.com/v1?key=1' }),
      hasCode('ERR_CONFIG_INVALID'),
    );
    await assert.rejects(
      proxy.start({ source: signer, upstream: 'not a url' }),
      hasCode('ERR_CONFIG_INVALID'),
    );
  });

  it('reports a port in use with ERR_CONFIG_INVALID', async () => {
    const first = await proxy.start({ source: signer, upstream: 'http://127.0.0.1:9' });
    try {
      await assert.rejects(
        proxy.start({
          source: signer,
          upstream: 'http://127.0.0.1:9',
          listen: `127.0.0.1:${first.address.port}`,
        }),
        hasCode('ERR_CONFIG_INVALID'),
      );
    } finally {
      await first.close();
    }
  });
});

describe('proxy health, shutdown and logs', () => {
  let emu: OidcEmulator;
  const managerFor = (clientSecret = emu.clients.confidential.clientSecret) =>
    new TokenManager(
      oauth2.clientCredentials({
        issuer: emu.issuer,
        clientId: emu.clients.confidential.clientId,
        clientSecret,
      }),
    );
  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator();
  });
  after(() => emu.close());

  it('answers the health endpoint itself, with the expiry and never the token', async () => {
    const api = await startUpstream();
    const manager = managerFor();
    const handle = await proxy.start({ source: manager, upstream: `${api.origin}/v1` });
    try {
      const answer = await call(`${handle.url}${proxy.HEALTH_PATH}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['cache-control'], 'no-store');
      const credential = await manager.getCredential();
      assert.deepEqual(json(answer), {
        status: 'ok',
        upstream: `${api.origin}/v1`,
        kind: 'oauth2',
        credential: { expiresAt: credential.expiresAt },
      });
      assert.ok(!answer.body.toString().includes(credential.token));
      assert.equal(api.seen.length, 0, 'not forwarded');
      assert.equal(handle.stats.requests, 0);
      assert.equal((await call(`${handle.url}${proxy.HEALTH_PATH}`, { method: 'POST' })).status, 405);
      // A longer path is not the health endpoint: it is forwarded.
      assert.equal((await call(`${handle.url}${proxy.HEALTH_PATH}x`)).status, 200);
      assert.equal(api.seen[0]!.url, `/v1${proxy.HEALTH_PATH}x`);
    } finally {
      await handle.close();
      await api.close();
    }
  });

  it('health is 503 with the error code when no credential can be had, and null for signers', async () => {
    const broken = await proxy.start({ source: managerFor('wrong-secret'), upstream: 'http://127.0.0.1:9' });
    const signed = await proxy.start({ source: signer, upstream: 'http://127.0.0.1:9' });
    try {
      const answer = await call(`${broken.url}${proxy.HEALTH_PATH}`);
      assert.equal(answer.status, 503);
      assert.deepEqual(json(answer), {
        status: 'error',
        upstream: 'http://127.0.0.1:9/',
        kind: 'oauth2',
        credential: null,
        error: { code: 'ERR_OAUTH_INVALID_CLIENT' },
      });
      const ok = await call(`${signed.url}${proxy.HEALTH_PATH}`);
      assert.deepEqual(json(ok), {
        status: 'ok',
        upstream: 'http://127.0.0.1:9/',
        kind: 'test-signer',
        credential: null,
      });
    } finally {
      await broken.close();
      await signed.close();
    }
  });

  it('close() stops accepting, waits for the request in flight, then resolves', async () => {
    const api = await startUpstream();
    const handle = await proxy.start({ source: managerFor(), upstream: api.origin });
    try {
      // The order of events tells whether close() waited for the held request: no clock involved.
      const order: string[] = [];
      const inflight = call(`${handle.url}/hold`, { method: 'POST', body: Buffer.from('payload') });
      await api.held();
      const closing = handle.close().then(() => order.push('closed'));
      // A refused connection shows close() has begun; the held request is still in flight.
      await assert.rejects(call(`${handle.url}/new`), /ECONNREFUSED/);
      assert.equal(handle.stats.inFlight, 1);
      assert.equal(order.length, 0, 'close() has not resolved while the upstream holds the request');
      order.push('released');
      api.release();
      await closing;
      assert.deepEqual(order, ['released', 'closed'], 'close() resolved only after the upstream answered');
      const answer = await inflight;
      assert.equal(answer.status, 200, 'the request in flight was answered, not cut');
      assert.equal(json(answer).bytes, 7);
      assert.deepEqual({ ...handle.stats }, { requests: 1, retries: 0, errors: 0, inFlight: 0 });
      await handle.close(); // a second close is harmless
    } finally {
      api.release();
      await handle.close();
      await api.close();
    }
  });

  it('close() cuts off requests still in flight after the grace period', async () => {
    const api = await startUpstream();
    const handle = await proxy.start({ source: managerFor(), upstream: api.origin, closeGraceMs: 150 });
    const inflight = call(`${handle.url}/hold`).then(
      (a) => a.status,
      (e: Error) => e.message,
    );
    await api.held();
    const t0 = performance.now();
    await handle.close();
    const waited = performance.now() - t0;
    assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
    assert.equal(await inflight, 'socket hang up');
    api.release();
    await api.close();
  });

  it('closeOnSignals closes the proxy on the signal and removes its listeners', async () => {
    const handle = await proxy.start({ source: signer, upstream: 'http://127.0.0.1:9' });
    const before = process.listenerCount('SIGUSR2');
    const { closed } = proxy.closeOnSignals(handle, ['SIGUSR2']);
    assert.equal(process.listenerCount('SIGUSR2'), before + 1);
    process.kill(process.pid, 'SIGUSR2');
    assert.equal(await closed, 'SIGUSR2');
    assert.equal(process.listenerCount('SIGUSR2'), before);
    await assert.rejects(call(`${handle.url}/x`), /ECONNREFUSED/);
  });

  it('logs one line per request with method, path, status, duration and replay, and no secret', async () => {
    const api = await startUpstream();
    const exposure = new ExposureLog().start();
    const manager = managerFor();
    const handle = await proxy.start({ source: manager, upstream: api.origin });
    try {
      assert.equal((await call(`${handle.url}/items?q=needle-in-query`)).status, 200);
      const first = (await manager.getCredential()).token;
      api.revoked.add(first);
      const replayed = await call(`${handle.url}/orders/9`, {
        method: 'POST',
        headers: { authorization: 'Bearer client-supplied-secret-token', 'content-length': 2 },
        body: Buffer.from('{}'),
      });
      assert.equal(replayed.status, 200);
      await call(`${handle.url}${proxy.HEALTH_PATH}`);
      exposure.value(handle);
      exposure.value(handle.stats);
    } finally {
      await handle.close();
      exposure.stop();
      await api.close();
    }
    const requestLines = exposure.lines.filter((l) => /^tokensmith info \[proxy\] [A-Z]+ \//.test(l));
    assert.equal(requestLines.length, 2, requestLines.join('\n'));
    assert.match(requestLines[0]!, /^tokensmith info \[proxy\] GET \/items 200 \d+(\.\d)? ms \{/);
    assert.match(requestLines[0]!, /replayed: false/);
    assert.match(
      requestLines[1]!,
      /^tokensmith info \[proxy\] POST \/orders\/9 200 \d+(\.\d)? ms \(replayed after 401\)/,
    );
    assert.match(requestLines[1]!, /replayed: true/);
    const all = exposure.lines.join('\n');
    assert.ok(!all.includes('needle-in-query'), 'no query string in logs');
    const tokens = tokensSeen(api.seen);
    assert.equal(new Set(tokens).size, 2);
    assert.deepEqual(
      exposure.leaks([...tokens, 'client-supplied-secret-token', emu.clients.confidential.clientSecret]),
      [],
    );
  });
});
