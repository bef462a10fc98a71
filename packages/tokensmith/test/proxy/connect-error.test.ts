import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import {
  json as answerJson,
  type HostileServer,
  startHostileServer,
} from '../../../../test/security/hostile-server.js';
import { type ForwardProxy, startForwardProxy } from '../net/forward-proxy.js';
import { call, json } from './client.js';

const VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The outbound forward proxy cannot reach the upstream and answers the CONNECT with 502: that is a
 * network failure (ERR_NETWORK, 502), not a client that went away (ERR_ABORTED), although undici
 * reports it as a RequestAbortedError.
 */
describe('proxy: the outbound proxy answers 502 to CONNECT', () => {
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  let forwardProxy: ForwardProxy;
  let server: HostileServer;
  before(async () => {
    configureLogging({ level: 'silent' });
    forwardProxy = await startForwardProxy();
    server = await startHostileServer();
    server.on('/token', answerJson({ access_token: 'at-connect', token_type: 'Bearer', expires_in: 300 }));
    for (const k of VARS) delete process.env[k];
    process.env.HTTP_PROXY = forwardProxy.url;
  });
  after(async () => {
    for (const k of VARS) delete process.env[k];
    Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
    await Promise.all([forwardProxy.close(), server.close()]);
  });

  it('answers 502 ERR_NETWORK', async () => {
    const port = await closedPort();
    const source = new TokenManager(
      oauth2.clientCredentials({
        tokenEndpoint: server.url('/token'),
        clientId: 'connect',
        clientSecret: 'connect-secret',
        retry: false,
      }),
    );
    const handle = await proxy.start({ source, upstream: `http://127.0.0.1:${port}/` });
    try {
      const answer = await call(`${handle.url}/items`);
      assert.deepEqual(
        forwardProxy.tunnels.map((t) => t.target),
        [`127.0.0.1:${port}`],
      );
      assert.equal(answer.status, 502);
      assert.equal(json<{ error: { code: string } }>(answer).error.code, 'ERR_NETWORK');
      assert.equal(
        json<{ error: { message: string } }>(answer).error.message,
        `upstream http://127.0.0.1:${port} failed: the outbound proxy answered the CONNECT with 502`,
      );
      assert.equal(handle.stats.errors, 1);
    } finally {
      await handle.close();
    }
  });
});
