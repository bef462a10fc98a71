import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { startDPoPResource } from '../../../../test/helpers/dpop-resource.js';
import { call } from './client.js';

/**
 * Issue #15 item 3, the proxy with a DPoP-bound token: a resource server that hands out a new
 * nonce with every accepted answer (RFC 9449 §8.2) costs one `use_dpop_nonce` challenge in all,
 * not one per request, because the proxy keeps the `DPoP-Nonce` of each accepted answer.
 */
describe('proxy: DPoP nonces', () => {
  let emu: OidcEmulator;
  before(async () => {
    configureLogging({ level: 'silent' });
    emu = await startOidcEmulator({ dpop: { requireNonce: true } });
  });
  after(async () => {
    await emu.close();
  });

  const resource = (rotateNonce: boolean) =>
    startDPoPResource({
      introspection: {
        url: `${emu.issuer}/token/introspection`,
        clientId: emu.clients.confidential.clientId,
        clientSecret: emu.clients.confidential.clientSecret,
      },
      requireNonce: true,
      rotateNonce,
    });
  const manager = () =>
    new TokenManager(
      oauth2.clientCredentials({
        issuer: emu.issuer,
        clientId: emu.clients.confidential.clientId,
        clientSecret: emu.clients.confidential.clientSecret,
        dpop: true,
      }),
    );

  it('a rotating nonce: 3 requests cost exactly 1 challenge, each later proof carries the last answer’s nonce', async () => {
    const api = await resource(true);
    const handle = await proxy.start({ source: manager(), upstream: api.origin });
    try {
      const statuses: number[] = [];
      statuses.push((await call(`${handle.url}/a`)).status);
      statuses.push((await call(`${handle.url}/b`, { method: 'POST', body: Buffer.from('x') })).status);
      statuses.push((await call(`${handle.url}/c?q=1`)).status);
      assert.deepEqual(statuses, [200, 200, 200]);
      assert.deepEqual(
        api.seen.map((s) => [s.method, s.verdict, s.htu]),
        [
          ['GET', 'use_dpop_nonce', `${api.origin}/a`],
          ['GET', 'ok', `${api.origin}/a`],
          ['POST', 'ok', `${api.origin}/b`],
          ['GET', 'ok', `${api.origin}/c`],
        ],
      );
      assert.equal(new Set(api.seen.map((s) => s.jti)).size, 4);
      assert.equal(handle.stats.retries, 1);
    } finally {
      await handle.close();
      await api.close();
    }
  });

  it('a fixed nonce: one challenge, then every request is accepted at once', async () => {
    const api = await resource(false);
    const handle = await proxy.start({ source: manager(), upstream: api.origin });
    try {
      for (const path of ['/x', '/y', '/z']) assert.equal((await call(`${handle.url}${path}`)).status, 200);
      assert.deepEqual(
        api.seen.map((s) => s.verdict),
        ['use_dpop_nonce', 'ok', 'ok', 'ok'],
      );
    } finally {
      await handle.close();
      await api.close();
    }
  });
});
