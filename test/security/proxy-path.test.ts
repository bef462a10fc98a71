import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import * as proxy from 'tokensmith/internal/proxy/index.js';
import { type HostileServer, json, startHostileServer } from './hostile-server.js';

/**
 * Issue #11 item 8: with upstream `…/x/v1`, no request target may reach anything outside `/x/v1`:
 * dot segments (also percent-encoded, also with backslashes) are resolved below the base path, and
 * a dot segment hidden behind an encoded separator (which some servers decode before resolving) is
 * refused. The request target is sent byte for byte over a raw socket, since every HTTP client
 * library would resolve the dots itself.
 */

const TOKEN = 'tok-path-1b7e3d';

/** One request with `target` exactly as written in the request line; resolves with status and body. */
function rawRequest(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  });
}

describe('proxy: the request path stays below the upstream base path', () => {
  let upstream: HostileServer;
  let handle: proxy.ProxyHandle;
  let port: number;

  before(async () => {
    configureLogging({ level: 'silent' });
    upstream = await startHostileServer();
    upstream.on('/token', json({ access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 }));
    upstream.on('*', (req) => json({ path: req.url }));
    handle = await proxy.start({
      source: new TokenManager(
        oauth2.clientCredentials({ tokenEndpoint: upstream.url('/token'), clientId: 'c', retry: false }),
      ),
      upstream: upstream.url('/x/v1'),
    });
    port = handle.address.port;
  });
  after(async () => {
    await handle.close();
    await upstream.close();
  });
  beforeEach(() => upstream.reset());

  /** The path the API received for `target` (the proxy answered 200 with the upstream's answer). */
  async function forwardedPath(target: string): Promise<string> {
    const answer = await rawRequest(port, target);
    assert.equal(answer.status, 200, `${target}: ${answer.body}`);
    const api = upstream.seen.filter((r) => r.url !== '/token');
    assert.equal(api.length, 1, target);
    upstream.reset();
    return api[0]!.url;
  }

  it('`..` cannot climb out of the base path: it is resolved below it', async () => {
    const cases: Array<[string, string]> = [
      ['/../admin', '/x/v1/admin'],
      ['/../../../admin?role=root', '/x/v1/admin?role=root'],
      ['/users/../../admin', '/x/v1/admin'],
      ['/users/7/../8', '/x/v1/users/8'],
      ['/a/./b/.', '/x/v1/a/b/'],
      ['/..', '/x/v1/'],
    ];
    for (const [target, expected] of cases) assert.equal(await forwardedPath(target), expected, target);
  });

  it('percent-encoded dots (%2e, any case and mix) are dot segments too', async () => {
    const cases: Array<[string, string]> = [
      ['/%2e%2e/admin', '/x/v1/admin'],
      ['/%2E%2E/%2e%2E/admin', '/x/v1/admin'],
      ['/.%2e/admin', '/x/v1/admin'],
      ['/%2e./admin', '/x/v1/admin'],
      ['/a/%2e/b', '/x/v1/a/b'],
    ];
    for (const [target, expected] of cases) assert.equal(await forwardedPath(target), expected, target);
  });

  it('backslashes are read as slashes, as browsers do, so `..\\` cannot climb either', async () => {
    const cases: Array<[string, string]> = [
      ['/..\\admin', '/x/v1/admin'],
      ['/a\\..\\..\\admin', '/x/v1/admin'],
      ['/\\..\\admin', '/x/v1/admin'],
    ];
    for (const [target, expected] of cases) assert.equal(await forwardedPath(target), expected, target);
  });

  it('an absolute-form request target is resolved the same way', async () => {
    assert.equal(await forwardedPath(`http://127.0.0.1:${port}/../admin`), '/x/v1/admin');
  });

  it('a dot segment behind an encoded slash, backslash or `;` is refused with 400 ERR_PATH_INVALID', async () => {
    for (const target of ['/..%2fadmin', '/..%2Fadmin', '/..%5cadmin', '/%2e%2e%5Cadmin', '/..;/admin']) {
      const answer = await rawRequest(port, target);
      assert.equal(answer.status, 400, target);
      assert.equal(
        (JSON.parse(answer.body) as { error: { code: string } }).error.code,
        'ERR_PATH_INVALID',
        target,
      );
    }
    assert.deepEqual(upstream.seen, [], 'nothing was forwarded, not even a token request');
  });

  it('everything else goes through byte for byte (dots in names, encoded slashes, the query)', async () => {
    const cases = [
      '/files/report..v2.txt',
      '/.well-known/thing',
      '/projects/group%2Fproject/issues',
      '/a%2F.hidden',
      '/search?q=../../etc&path=%2e%2e',
      '/caf%C3%A9/%7Bid%7D',
      '/a//b',
    ];
    for (const target of cases) assert.equal(await forwardedPath(target), `/x/v1${target}`, target);
  });
});
