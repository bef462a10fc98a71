import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type OidcEmulator, startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { adhocToken, runCli } from '../../../test/helpers/cli.js';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('tokensmith request: a transport failure at the API is ERR_NETWORK', () => {
  let emu: OidcEmulator;
  let env: Record<string, string>;
  before(async () => {
    emu = await startOidcEmulator();
    env = { CS: emu.clients.confidential.clientSecret };
  });
  after(() => emu.close());

  it('names the method, the URL and the reason; exit 1; no "unexpected error", no secret', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/items?q=1`;
    const flags = adhocToken(emu.tokenEndpoint, emu.clients.confidential.clientId).slice(1);
    const run = await runCli(['request', url, ...flags], { env });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `tokensmith: ERR_NETWORK: GET http://127\\.0\\.0\\.1:${port}/items\\S* failed: ECONNREFUSED`,
      ),
    );
    assert.doesNotMatch(run.stderr, /unexpected error|fetch failed/);
    assert.ok(!run.stderr.includes(emu.clients.confidential.clientSecret));
    assert.equal(emu.stats.tokenRequests, 1);
  });
});
