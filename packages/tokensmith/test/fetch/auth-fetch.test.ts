import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';

/**
 * An API that refuses the first token it sees and answers requests one at a time, 30 ms apart, so
 * late 401s arrive after an earlier request has already renewed the token.
 */
async function startStaggeredApi() {
  let refused: string | undefined;
  let queue = Promise.resolve();
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    refused ??= auth;
    seen.push(auth);
    queue = queue.then(async () => {
      await sleep(30);
      res.writeHead(auth === refused ? 401 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('authFetch', () => {
  let emu: OidcEmulator;
  before(async () => {
    emu = await startOidcEmulator();
  });
  after(() => emu.close());

  it('10 requests refused with the same token, their 401s spread out, cause exactly one renewal', async () => {
    const api = await startStaggeredApi();
    try {
      const manager = new TokenManager(
        oauth2.clientCredentials({
          issuer: emu.issuer,
          clientId: emu.clients.confidential.clientId,
          clientSecret: emu.clients.confidential.clientSecret,
        }),
      );
      const api1 = authFetch(manager);
      await manager.getCredential();
      emu.resetStats();
      const answers = await Promise.all(Array.from({ length: 10 }, () => api1(api.url)));
      assert.deepEqual(
        answers.map((r) => r.status),
        Array(10).fill(200),
      );
      assert.equal(emu.stats.tokenRequests, 1, 'one renewal for all ten 401s');
      assert.equal(new Set(api.seen).size, 2, 'the refused token and one renewed token');
      assert.equal(api.seen.length, 20, 'each request sent twice: first try and one replay');
    } finally {
      await api.close();
    }
  });
});
