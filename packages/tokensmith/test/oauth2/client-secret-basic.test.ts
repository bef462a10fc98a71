import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TokensmithError } from 'tokensmith/internal/core/errors.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';

/**
 * `client_secret_basic` as a server reads it: a loopback token endpoint (plain node:http) keeps
 * every Authorization header it gets, and the tests decode it byte for byte.
 */
describe('client_secret_basic: the Authorization header, byte for byte', () => {
  let server: Server;
  let tokenEndpoint: string;
  const headers: (string | undefined)[] = [];

  before(async () => {
    server = createServer((req, res) => {
      headers.push(req.headers.authorization);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'at-basic', token_type: 'Bearer', expires_in: 300 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tokenEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The header the token endpoint received for one client_credentials request with these credentials. */
  async function headerFor(clientId: string, clientSecret: string): Promise<string> {
    headers.length = 0;
    const c = await oauth2
      .clientCredentials({ tokenEndpoint, clientId, clientSecret, retry: false })
      .acquire({});
    assert.equal(c.token, 'at-basic');
    assert.equal(headers.length, 1);
    assert.ok(headers[0], 'no Authorization header');
    return headers[0];
  }

  /** What an RFC 6749 §2.3.1 server does: Base64-decode, split at the first colon, form-urldecode each part. */
  function decodeBasic(header: string): { raw: string; id: string; secret: string } {
    const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header);
    assert.ok(m, `not a Basic header: ${header}`);
    const bytes = Buffer.from(m[1]!, 'base64');
    assert.equal(bytes.toString('base64'), m[1], 'the Base64 is not canonical');
    // Every byte is printable ASCII: nothing is left to the server's guess of a charset.
    for (const b of bytes)
      assert.ok(b >= 0x21 && b <= 0x7e, `byte 0x${b.toString(16)} is not printable ASCII`);
    const raw = bytes.toString('latin1');
    const colon = raw.indexOf(':');
    assert.equal(raw.indexOf(':', colon + 1), -1, `more than one raw colon in ${raw}`);
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { raw, id: formDecode(raw.slice(0, colon)), secret: formDecode(raw.slice(colon + 1)) };
  }

  it('ids and secrets made of alphanumerics and -._* are sent as they are: Base64(id:secret), as curl -u sends', async () => {
    const pairs: [string, string][] = [
      ['test-confidential', 's3cr3t-with-dashes'],
      ['my.client_id-2*', 'A.b_C-d*9'],
      ['plain', 'Secret123'],
      ['-._*', '*_.-'],
    ];
    for (const [id, secret] of pairs) {
      const header = await headerFor(id, secret);
      assert.equal(
        header,
        `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`,
        `${id}:${secret}`,
      );
      assert.deepEqual(decodeBasic(header), { raw: `${id}:${secret}`, id, secret });
    }
  });

  it('every other character is form-urlencoded (space as +), and the server recovers the exact id and secret', async () => {
    // [id, secret, what travels inside the Base64 (id:secret, each part application/x-www-form-urlencoded)]
    const cases: [string, string, string][] = [
      [
        'client~:@%+/= id',
        'p~a:s@s%2B+/= end',
        'client%7E%3A%40%25%2B%2F%3D+id:p%7Ea%3As%40s%252B%2B%2F%3D+end',
      ],
      ['a-b.c_d*e', "x!y'z(1)", 'a-b.c_d*e:x%21y%27z%281%29'],
      ['clïent-ñ', 'sécret-日本-🔑', 'cl%C3%AFent-%C3%B1:s%C3%A9cret-%E6%97%A5%E6%9C%AC-%F0%9F%94%91'],
      ['  ', '::', '++:%3A%3A'],
      ['id&x=1', 'a;b,c?d#e[f]', 'id%26x%3D1:a%3Bb%2Cc%3Fd%23e%5Bf%5D'],
    ];
    for (const [id, secret, wire] of cases) {
      const header = await headerFor(id, secret);
      assert.equal(header, `Basic ${Buffer.from(wire, 'latin1').toString('base64')}`, `${id}:${secret}`);
      assert.deepEqual(decodeBasic(header), { raw: wire, id, secret });
    }
  });

  it('a secret that is not valid Unicode (a lone surrogate) is refused before any request', async () => {
    headers.length = 0;
    await assert.rejects(
      oauth2
        .clientCredentials({ tokenEndpoint, clientId: 'c', clientSecret: 'ab\uD800', retry: false })
        .acquire({}),
      (e: TokensmithError) => {
        assert.equal(e.code, 'ERR_CONFIG_INVALID');
        assert.equal(e.message, 'the client id or secret is not valid Unicode (a lone surrogate)');
        return true;
      },
    );
    assert.equal(headers.length, 0);
  });
});
