import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { TokenManager, type TokensmithError } from 'tokensmith/internal/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { ExposureLog } from '../../../../test/helpers/secrets.js';

type Reply = (res: ServerResponse, req: IncomingMessage) => void;

/** A token endpoint that answers whatever the current test scripts. */
async function startScriptedEndpoint() {
  let reply: Reply = (res) => res.writeHead(500).end();
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks).toString());
    reply(res, req);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    bodies,
    set: (r: Reply) => {
      reply = r;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (res) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
const raw =
  (status: number, body: string | Buffer, type = 'text/html'): Reply =>
  (res) =>
    res.writeHead(status, { 'content-type': type }).end(body);

const CLIENT_SECRET = 'cs-Sup3r-Secret-Value-42';
const PASSWORD = 'pw-Correct-Horse-Battery-7';

describe('token endpoint responses: malformed, lenient, and never leaking secrets', () => {
  let ep: Awaited<ReturnType<typeof startScriptedEndpoint>>;
  before(async () => {
    ep = await startScriptedEndpoint();
  });
  after(() => ep.close());

  const provider = () =>
    oauth2.password({
      tokenEndpoint: ep.url,
      clientId: 'cli',
      clientSecret: CLIENT_SECRET,
      username: 'carol',
      password: PASSWORD,
    });

  const cases: Array<[string, Reply, string, Partial<TokensmithError>]> = [
    [
      'HTML page with 200',
      raw(200, '<html><body>Login</body></html>'),
      'ERR_RESPONSE_NOT_JSON',
      { status: 200 },
    ],
    ['empty body with 200', raw(200, '', 'application/json'), 'ERR_RESPONSE_EMPTY', { status: 200 }],
    [
      'JSON without access_token',
      json(200, { token_type: 'Bearer', expires_in: 60 }),
      'ERR_RESPONSE_MISSING_FIELD',
      { field: 'access_token' },
    ],
    [
      'expires_in "abc"',
      json(200, { access_token: 'at-1234567', token_type: 'Bearer', expires_in: 'abc' }),
      'ERR_RESPONSE_INVALID_FIELD',
      { field: 'expires_in' },
    ],
    [
      '5 MB body',
      raw(200, Buffer.alloc(5 * 1024 * 1024, 0x61), 'application/json'),
      'ERR_RESPONSE_TOO_LARGE',
      {},
    ],
    ['HTML error page with 502', raw(502, '<html>Bad Gateway</html>'), 'ERR_HTTP_STATUS', { status: 502 }],
    ['empty 503', raw(503, ''), 'ERR_HTTP_STATUS', { status: 503 }],
    ['JSON array', json(200, [1, 2]), 'ERR_RESPONSE_NOT_JSON', {}],
    [
      'OAuth error',
      json(400, { error: 'invalid_grant', error_description: 'Invalid user credentials' }),
      'ERR_OAUTH_INVALID_GRANT',
      { status: 400, error: 'invalid_grant', error_description: 'Invalid user credentials' },
    ],
    [
      'OAuth error with 200 status',
      json(200, { error: 'unauthorized_client' }),
      'ERR_OAUTH_UNAUTHORIZED_CLIENT',
      { error: 'unauthorized_client' },
    ],
    [
      'unknown OAuth error',
      json(400, { error: 'temporarily_unavailable' }),
      'ERR_OAUTH_ERROR',
      { error: 'temporarily_unavailable' },
    ],
  ];

  for (const [name, reply, code, fields] of cases) {
    it(`${name} → ${code}`, async () => {
      ep.set(reply);
      await assert.rejects(provider().acquire({}), (e: TokensmithError) => {
        assert.equal(e.name, 'TokensmithError');
        assert.equal(e.code, code, e.message);
        for (const [k, v] of Object.entries(fields)) assert.equal(e[k as keyof TokensmithError], v, k);
        return true;
      });
    });
  }

  it('error messages name the HTTP status even without a body', async () => {
    ep.set(raw(502, '<html>Bad Gateway</html>'));
    await assert.rejects(provider().acquire({}), /HTTP 502 with an HTML page/);
  });

  it('is lenient where real servers differ: token_type case, expires_in as a string, no scope, no token_type', async () => {
    ep.set(json(200, { access_token: 'at-lenient-1', token_type: 'BEARER', expires_in: '300' }));
    const a = await provider().acquire({});
    assert.equal(a.tokenType, 'Bearer');
    assert.ok(a.expiresAt! > Date.now() + 290_000);
    assert.equal(a.scope, undefined);
    ep.set(json(200, { access_token: 'at-lenient-2' }));
    const b = await provider().acquire({});
    assert.equal(b.tokenType, 'Bearer');
    assert.equal(b.expiresAt, undefined);
  });

  it('converts a JWT exp (server time) with the skew measured from the Date header', async () => {
    const serverNow = Date.now() + 3_600_000; // server clock one hour ahead
    const exp = Math.floor(serverNow / 1000) + 120;
    const jwt = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.`;
    ep.set(
      json(200, { access_token: jwt, token_type: 'Bearer' }, { date: new Date(serverNow).toUTCString() }),
    );
    const c = await provider().acquire({});
    const expected = Date.now() + 120_000;
    assert.ok(Math.abs(c.expiresAt! - expected) < 3_000, `expiry ${c.expiresAt! - Date.now()} ms from now`);
  });

  it('Keycloak refresh_expires_in: 0 means no expiry of its own; a string is accepted', async () => {
    ep.set(
      json(200, {
        access_token: 'at-kc-1',
        token_type: 'bearer',
        expires_in: 300,
        refresh_token: 'rt-kc-1',
        refresh_expires_in: 0,
      }),
    );
    assert.equal((await provider().acquire({})).refreshExpiresAt, undefined);
    ep.set(
      json(200, {
        access_token: 'at-kc-2',
        token_type: 'bearer',
        expires_in: 300,
        refresh_token: 'rt-kc-2',
        refresh_expires_in: '1800',
      }),
    );
    assert.ok((await provider().acquire({})).refreshExpiresAt! > Date.now() + 1_790_000);
  });

  it('no secret reaches a log line, an error message, a stack or util.inspect output', async () => {
    const exposure = new ExposureLog().start();
    const tokens = ['at-Leaky-Access-Token-9f8e7d', 'rt-Leaky-Refresh-Token-1a2b3c'];
    try {
      const m = new TokenManager(provider());
      // A successful exchange (tokens then live in the credential), then failures that quote them.
      ep.set(
        json(200, { access_token: tokens[0], refresh_token: tokens[1], token_type: 'Bearer', expires_in: 1 }),
      );
      const c = await m.getCredential();
      exposure.value(c);
      exposure.value(m);
      const failures: Reply[] = [
        json(400, { error: 'invalid_grant', error_description: `refresh token ${tokens[1]} is revoked` }),
        raw(500, `<html>stack: password=${PASSWORD} secret=${CLIENT_SECRET} token ${tokens[0]}</html>`),
        json(200, { access_token: tokens[0], token_type: 'Bearer', expires_in: 'soon' }),
        json(200, { token_type: 'Bearer', note: `${CLIENT_SECRET}` }),
      ];
      for (const f of failures) {
        ep.set(f);
        try {
          await m.getCredential({ forceRefresh: true });
          assert.fail('expected a failure');
        } catch (err) {
          exposure.error(err);
        }
      }
      exposure.lines.push(inspect(provider(), { depth: 6 }));
    } finally {
      exposure.stop();
    }
    assert.ok(
      exposure.lines.some((l) => l.includes('→ POST')),
      'debug logs of the exchanges were captured',
    );
    assert.deepEqual(exposure.leaks([CLIENT_SECRET, PASSWORD, ...tokens]), []);
    assert.ok(
      ep.bodies.some((b) => b.includes(encodeURIComponent(PASSWORD))),
      'the password was really sent',
    );
  });
});
