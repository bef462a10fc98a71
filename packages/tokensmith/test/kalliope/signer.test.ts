import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  type KalliopeEmulator,
  startKalliopeEmulator,
} from '@tokensmith/emulators/internal/kalliope/server.js';
import { configureLogging } from 'tokensmith/internal/core/log.js';
import { authFetch } from 'tokensmith/internal/fetch/auth-fetch.js';
import {
  digest,
  formatCreated,
  formatHeader,
  HEADER_PATTERN,
  newNonce,
  parseHeader,
  SaltCache,
  signer,
} from 'tokensmith/internal/kalliope/index.js';

const USER = { domain: 'default', username: 'admin', password: 'signer-pw-1' };
const TEN_MINUTES = 10 * 60_000;

configureLogging({ level: 'silent' });

function makeSigner(emu: KalliopeEmulator, over: Partial<Parameters<typeof signer>[0]> = {}) {
  return signer({
    url: emu.url,
    username: USER.username,
    password: USER.password,
    saltCache: new SaltCache({ refetchIntervalMs: 60_000 }),
    ...over,
  });
}

/** A loopback server answering every request with `reply`, counting requests. */
async function badServer(reply: (res: ServerResponse) => void) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    reply(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('kalliope signer against the emulator', () => {
  let emu: KalliopeEmulator;
  before(async () => {
    emu = await startKalliopeEmulator({ users: [USER] });
  });
  after(() => emu.close());

  it('1,000 sequential and 200 concurrent signed requests all succeed', async () => {
    const s = makeSigner(emu);
    const api = authFetch(s);
    const start = { ...emu.stats, rejections: { ...emu.stats.rejections } };
    let ok = 0;
    for (let i = 0; i < 1000; i++) {
      const res = await api(`${emu.url}/rest/account`);
      if (res.status === 200) ok++;
      await res.body?.cancel();
    }
    const concurrent = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await api(`${emu.url}/rest/dashboard/firmwareVersion`);
        await res.body?.cancel();
        return res.status;
      }),
    );
    ok += concurrent.filter((status) => status === 200).length;
    assert.equal(ok, 1200);
    assert.equal(emu.stats.accepted - start.accepted, 1200);
    assert.equal(emu.stats.rejected - start.rejected, 0);
    assert.equal(emu.stats.saltRequests - start.saltRequests, 1);
  });

  it('every signed header matches the official regex and has a fresh 32-hex nonce', async () => {
    const s = makeSigner(emu);
    const nonces = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const value = (await s.sign({ method: 'GET', url: `${emu.url}/rest/account` }))['X-authenticate']!;
      assert.match(value, HEADER_PATTERN);
      const fields = parseHeader(value)!;
      assert.match(fields.nonce, /^[0-9a-f]{32}$/);
      assert.equal(fields.username, 'admin');
      assert.equal(fields.domain, 'default');
      nonces.add(fields.nonce);
    }
    assert.equal(nonces.size, 50);
  });

  it('a replayed signed header is refused', async () => {
    const s = makeSigner(emu);
    const headers = await s.sign({ method: 'GET', url: `${emu.url}/rest/account` });
    const before = emu.stats.rejections.replayed_nonce;
    const first = await fetch(`${emu.url}/rest/account`, { headers });
    const second = await fetch(`${emu.url}/rest/account`, { headers });
    assert.equal(first.status, 200);
    assert.equal(second.status, 401);
    assert.equal(((await second.json()) as { error: string }).error, 'replayed_nonce');
    assert.equal(emu.stats.rejections.replayed_nonce, before + 1);
    await first.body?.cancel();
  });

  it('a header 6 minutes off is refused', async () => {
    const salt = emu.salt('default')!;
    const fields = { ...USER, salt, nonce: newNonce(), created: formatCreated(Date.now() - 6 * 60_000) };
    const res = await fetch(`${emu.url}/rest/account`, {
      headers: { 'x-authenticate': formatHeader({ ...fields, digest: digest(fields) }) },
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'clock_skew');
  });

  it('a client whose clock is 10 minutes off succeeds thanks to skew correction', async () => {
    const wrongClock = () => Date.now() + TEN_MINUTES;
    // Without correction the server refuses a header made on that clock.
    const salt = emu.salt('default')!;
    const naive = { ...USER, salt, nonce: newNonce(), created: formatCreated(wrongClock()) };
    const refused = await fetch(`${emu.url}/rest/account`, {
      headers: { 'x-authenticate': formatHeader({ ...naive, digest: digest(naive) }) },
    });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();

    const before = { ...emu.stats.rejections };
    const s = makeSigner(emu, { now: wrongClock });
    const api = authFetch(s);
    for (let i = 0; i < 20; i++) {
      const res = await api(`${emu.url}/rest/account`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.deepEqual(emu.stats.rejections, before);
    // Date has one-second precision: the estimate is within a couple of seconds of -10 minutes.
    assert.ok(Math.abs(s.clockOffsetMs + TEN_MINUTES) < 2500, `offset ${s.clockOffsetMs}`);
    const created = Date.parse(parseHeader((await s.header()).value)!.created);
    assert.ok(Math.abs(created - Date.now()) < 3500);
  });

  it('a signer sharing a warm salt cache still corrects its clock from the cached Date sample', async () => {
    const cache = new SaltCache();
    const good = makeSigner(emu, { saltCache: cache });
    await good.header();
    const saltRequests = emu.stats.saltRequests;
    const skewed = makeSigner(emu, { saltCache: cache, now: () => Date.now() - TEN_MINUTES });
    const res = await authFetch(skewed)(`${emu.url}/rest/account`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(emu.stats.saltRequests, saltRequests);
    assert.ok(Math.abs(skewed.clockOffsetMs - TEN_MINUTES) < 2500, `offset ${skewed.clockOffsetMs}`);
  });

  it("learns the offset from a 401's Date header when the salt answer has none, then the replay succeeds", async () => {
    const noDate = async (input: string | URL | Request, init?: RequestInit) => {
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.delete('date');
      return new Response(res.body, { status: res.status, headers });
    };
    const before = emu.stats.rejections.clock_skew;
    const s = makeSigner(emu, { fetch: noDate, now: () => Date.now() + TEN_MINUTES });
    const res = await authFetch(s)(`${emu.url}/rest/account`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(emu.stats.rejections.clock_skew, before + 1);
    assert.ok(Math.abs(s.clockOffsetMs + TEN_MINUTES) < 2500);
  });

  it('works with a password full of special characters given in a connection string', async () => {
    const password = 'p@ss w0rd,%/:#?"é';
    const local = await startKalliopeEmulator({ users: [{ domain: 't1', username: 'admin', password }] });
    try {
      const url = `http://admin:${encodeURIComponent(password)}@${new URL(local.url).host}/t1`;
      const res = await authFetch(signer({ url, saltCache: new SaltCache() }))(`${local.url}/rest/account`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), [{ username: 'admin' }]);
    } finally {
      await local.close();
    }
  });

  it('refuses to sign a request to another origin', async () => {
    const s = makeSigner(emu);
    await assert.rejects(s.sign({ method: 'GET', url: 'http://127.0.0.2:1/rest/account' }), {
      code: 'ERR_CONFIG_INVALID',
      message: /refusing to sign a request to http:\/\/127\.0\.0\.2:1/,
    });
    await assert.rejects(s.sign({ method: 'GET', url: '/rest/account' }), { code: 'ERR_CONFIG_INVALID' });
  });
});

describe('kalliope salt refetch', () => {
  it('fetches the salt again exactly once after the emulator rotates it (sequential)', async () => {
    const emu = await startKalliopeEmulator({ users: [USER] });
    try {
      const api = authFetch(makeSigner(emu));
      for (let i = 0; i < 3; i++) assert.equal((await api(`${emu.url}/rest/account`)).status, 200);
      assert.equal(emu.stats.saltRequests, 1);
      emu.rotateSalt('default');
      for (let i = 0; i < 5; i++) assert.equal((await api(`${emu.url}/rest/account`)).status, 200);
      assert.equal(emu.stats.saltRequests, 2);
      assert.equal(emu.stats.rejected, 1);
      assert.equal(emu.stats.rejections.bad_digest, 1);
    } finally {
      await emu.close();
    }
  });

  it('fetches the salt again exactly once for a burst of 100 concurrent requests after rotation', async () => {
    const emu = await startKalliopeEmulator({ users: [USER] });
    try {
      const api = authFetch(makeSigner(emu));
      assert.equal((await api(`${emu.url}/rest/account`)).status, 200);
      emu.rotateSalt('default');
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async () => (await api(`${emu.url}/rest/account`)).status),
      );
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );
      assert.equal(emu.stats.saltRequests, 2);
    } finally {
      await emu.close();
    }
  });

  it('a wrong password gets 401 after one replay and one salt refetch, and no refetch storm', async () => {
    const emu = await startKalliopeEmulator({ users: [USER] });
    try {
      const api = authFetch(makeSigner(emu, { password: 'not-the-password' }));
      assert.equal((await api(`${emu.url}/rest/account`)).status, 401);
      assert.equal(emu.stats.rejections.bad_digest, 2);
      assert.equal(emu.stats.saltRequests, 2);
      for (let i = 0; i < 5; i++) assert.equal((await api(`${emu.url}/rest/account`)).status, 401);
      assert.equal(emu.stats.saltRequests, 2);
    } finally {
      await emu.close();
    }
  });
});

describe('kalliope salt endpoint failures', () => {
  const cases: Array<[string, (res: ServerResponse) => void, Record<string, unknown>]> = [
    ['non-JSON', (res) => res.end('<response><salt>x</salt></response>'), { code: 'ERR_RESPONSE_NOT_JSON' }],
    ['no salt field', (res) => res.end('{"other":1}'), { code: 'ERR_RESPONSE_MISSING_FIELD', field: 'salt' }],
    [
      'a numeric salt',
      (res) => res.end('{"salt":42}'),
      { code: 'ERR_RESPONSE_MISSING_FIELD', field: 'salt' },
    ],
    ['an empty salt', (res) => res.end('{"salt":""}'), { code: 'ERR_RESPONSE_MISSING_FIELD', field: 'salt' }],
    ['JSON null', (res) => res.end('null'), { code: 'ERR_RESPONSE_MISSING_FIELD', field: 'salt' }],
    [
      'a 500',
      (res) => {
        res.statusCode = 500;
        res.end('{}');
      },
      { code: 'ERR_HTTP_STATUS', status: 500 },
    ],
    [
      'a 403',
      (res) => {
        res.statusCode = 403;
        res.end('{}');
      },
      { code: 'ERR_KALLIOPE_AUTH', status: 403 },
    ],
    [
      'a body over 64 KiB',
      (res) => res.end(JSON.stringify({ salt: 'x'.repeat(70_000) })),
      { code: 'ERR_RESPONSE_TOO_LARGE' },
    ],
  ];
  for (const [name, reply, expected] of cases) {
    it(`${name} → ${expected.code}, and the failure is not cached`, async () => {
      const server = await badServer(reply);
      try {
        const s = signer({
          url: server.url,
          username: 'admin',
          password: 'pw-12345',
          saltCache: new SaltCache(),
        });
        await assert.rejects(s.header(), expected);
        await assert.rejects(s.header(), expected);
        // A 5xx is retried (3 attempts per call, see core/retry.ts); the other failures are final.
        assert.equal(server.requests, expected.status === 500 ? 6 : 2);
      } finally {
        await server.close();
      }
    });
  }

  it('unknown tenant domain on the emulator → ERR_KALLIOPE_AUTH with status 404', async () => {
    const emu = await startKalliopeEmulator({ users: [USER] });
    try {
      const s = makeSigner(emu, { domain: 'nope' });
      await assert.rejects(s.header(), {
        code: 'ERR_KALLIOPE_AUTH',
        status: 404,
        message: /answered 404 for tenant domain "nope"/,
      });
    } finally {
      await emu.close();
    }
  });

  it('connection refused → ERR_NETWORK', async () => {
    const emu = await startKalliopeEmulator({ users: [USER] });
    await emu.close();
    await assert.rejects(makeSigner(emu).header(), { code: 'ERR_NETWORK' });
  });
});

describe('kalliope signer options', () => {
  const cases: Array<[string, Parameters<typeof signer>[0], string, RegExp]> = [
    ['no url', { url: '' }, 'ERR_CONFIG_INVALID', /url is required/],
    [
      'no credentials',
      { url: 'https://pbx.example.com' },
      'ERR_CONFIG_INVALID',
      /username and password are required/,
    ],
    ['no password', { url: 'https://pbx.example.com', username: 'a' }, 'ERR_CONFIG_INVALID', /required/],
    [
      'credentials twice',
      { url: 'https://admin:pw-123@pbx.example.com', username: 'admin' },
      'ERR_CONFIG_INVALID',
      /not both/,
    ],
    [
      'two different domains',
      { url: 'https://pbx.example.com/t1', username: 'a', password: 'pw-123', domain: 't2' },
      'ERR_CONFIG_INVALID',
      /domain option differs/,
    ],
    [
      'a " in the username',
      { url: 'https://h', username: 'a"b', password: 'pw-123' },
      'ERR_CONFIG_INVALID',
      /must not contain/,
    ],
    [
      'an @ in the username',
      { url: 'https://h', username: 'a@b', password: 'pw-123' },
      'ERR_CONFIG_INVALID',
      /must not contain/,
    ],
    [
      'an @ in the domain',
      { url: 'https://h/t@x', username: 'a', password: 'pw-123' },
      'ERR_CONFIG_INVALID',
      /domain must not/,
    ],
    [
      'non-ASCII username',
      { url: 'https://h', username: 'jürgen', password: 'pw-123' },
      'ERR_CONFIG_INVALID',
      /printable ASCII/,
    ],
    [
      'a newline in the domain',
      { url: 'https://h', username: 'a', password: 'pw-123', domain: 'a\nb' },
      'ERR_CONFIG_INVALID',
      /printable ASCII/,
    ],
    [
      'plain http to a remote host',
      { url: 'http://admin:pw-123@pbx.example.com' },
      'ERR_INSECURE_HTTP',
      /plain http/,
    ],
    [
      'a defaulted http scheme to a remote host',
      { url: '//admin:pw-123@pbx.example.com' },
      'ERR_INSECURE_HTTP',
      /plain http/,
    ],
    ['a bad connection string', { url: 'pbx.example.com' }, 'ERR_CONFIG_INVALID', /missing host/],
    [
      'an API path as the domain',
      { url: 'https://a:pw-123@pbx.example.com/rest/account' },
      'ERR_CONFIG_INVALID',
      /URL path is the tenant domain/,
    ],
  ];
  for (const [name, options, code, message] of cases) {
    it(`refuses ${name} with ${code}`, () => {
      assert.throws(() => signer(options), { code, message });
    });
  }

  it('accepts plain http to a remote host with allowInsecureHttp, and options for what the URL lacks', () => {
    const s = signer({
      url: 'http://pbx.example.com:8080/tenant1',
      username: 'admin',
      password: 'pw-123',
      domain: 'tenant1',
      allowInsecureHttp: true,
    });
    assert.equal(s.kind, 'kalliope');
    assert.equal(s.baseUrl, 'http://pbx.example.com:8080');
    assert.equal(s.domain, 'tenant1');
    assert.equal(
      signer({ url: 'https://h', username: 'a', password: 'pw-123', domain: 'pbxAdmin' }).domain,
      'pbxAdmin',
    );
    assert.equal(signer({ url: 'https://a:pw-123@h' }).domain, 'default');
  });

  it('prints without secrets', () => {
    const s = signer({ url: 'https://admin:pw-secret-9@pbx.example.com/t1' });
    const expected = {
      kind: 'kalliope',
      baseUrl: 'https://pbx.example.com',
      username: 'admin',
      domain: 't1',
    };
    assert.deepEqual(JSON.parse(JSON.stringify(s)), expected);
    assert.equal(inspect(s), `KalliopeSigner ${inspect(expected)}`);
    assert.equal(String(s), 'KalliopeSigner(admin@https://pbx.example.com/t1)');
  });
});
