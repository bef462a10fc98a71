import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { KalturaClient } from 'tokensmith/internal/kaltura/client.js';

/** An api_v3 stand-in that answers 503 to the first request of each action, then a result. */
async function flakyApi() {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const first = !seen.includes(path);
    seen.push(path);
    req.resume();
    if (first) res.writeHead(503).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('"ok-result"');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Kaltura client retries', () => {
  it('retries a session start after a 503, but sends a write (appToken.add) once', async () => {
    const api = await flakyApi();
    try {
      const client = new KalturaClient({ serviceUrl: api.url });
      assert.equal(await client.call('session', 'start', {}), 'ok-result');
      assert.equal(api.seen.filter((p) => p.endsWith('/session/action/start')).length, 2);
      await assert.rejects(client.call('appToken', 'add', {}), { code: 'ERR_HTTP_STATUS', status: 503 });
      assert.equal(api.seen.filter((p) => p.endsWith('/apptoken/action/add')).length, 1);
    } finally {
      await api.close();
    }
  });
});
