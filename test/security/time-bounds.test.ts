/**
 * Issue #11 item 7: every time value a server (or a token, or a cache file) gives is bounded. A
 * lifetime beyond the documented maximum (10 years) is clamped to it, a negative or non-finite one is
 * refused, a bad cache entry is corrupt (a miss) and never breaks another profile, and the device
 * login polls between once a second and once a minute, whatever the server announces.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { describeExpiry, formatDuration } from '@tokensmith/cli/internal/human-time.js';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import { Credential } from 'tokensmith/internal/core/credential.js';
import { isTokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { adhocToken, runCli } from '../helpers/cli.js';
import { rejection } from '../helpers/rejection.js';
import { type HostileServer, json, serveDiscovery, startHostileServer } from './hostile-server.js';

/** The documented maximum lifetime: 10 years of 365 days. */
const MAX_LIFETIME_S = 10 * 365 * 24 * 3600;
const MAX_LIFETIME_MS = MAX_LIFETIME_S * 1000;

/** An unsigned JWT with these claims (header `alg: none`). */
function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe('time bounds: OAuth token responses', () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const acquire = async (body: Record<string, unknown>) => {
    server.on('/token', json({ token_type: 'Bearer', access_token: 'time-token', ...body }));
    const provider = oauth2.clientCredentials({
      tokenEndpoint: server.url('/token'),
      clientId: 'cli',
      clientSecret: 'client-secret-for-time-tests',
    });
    return new TokenManager(provider).getCredential();
  };

  for (const huge of [1e13, 1e308, '1e13']) {
    it(`expires_in ${JSON.stringify(huge)} is clamped to 10 years`, async () => {
      const c = await acquire({ expires_in: huge });
      assert.equal(c.expiresAt! - c.obtainedAt, MAX_LIFETIME_MS);
      assert.equal(typeof new Date(c.expiresAt!).toISOString(), 'string');
    });
  }

  it('refresh_expires_in 1e13 is clamped to 10 years', async () => {
    const c = await acquire({
      expires_in: 300,
      refresh_token: 'refresh-time-token',
      refresh_expires_in: 1e13,
    });
    assert.equal(c.expiresAt! - c.obtainedAt, 300_000);
    assert.equal(c.refreshExpiresAt! - c.obtainedAt, MAX_LIFETIME_MS);
  });

  it('a JWT access token with exp 1e300 and no expires_in is clamped to 10 years', async () => {
    const c = await acquire({ access_token: jwt({ sub: 'x', exp: 1e300 }) });
    assert.equal(c.expiresAt! - c.obtainedAt, MAX_LIFETIME_MS);
  });

  for (const bad of [-1, '-5', '1e999', 'soon', true]) {
    it(`expires_in ${JSON.stringify(bad)} is refused as ERR_RESPONSE_INVALID_FIELD`, async () => {
      const err = await rejection(acquire({ expires_in: bad }));
      assert.equal(err.code, 'ERR_RESPONSE_INVALID_FIELD');
      assert.equal(err.field, 'expires_in');
    });
  }

  it('refresh_expires_in -1 is refused as ERR_RESPONSE_INVALID_FIELD', async () => {
    const err = await rejection(acquire({ expires_in: 300, refresh_expires_in: -1 }));
    assert.equal(err.code, 'ERR_RESPONSE_INVALID_FIELD');
    assert.equal(err.field, 'refresh_expires_in');
  });
});

describe('time bounds: Kaltura sessions', () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer();
  });
  after(() => server.close());

  const partnerId = 4242;
  const session = (expiry: number, headers: Record<string, string> = {}) => {
    server.on(
      '/api_v3/service/session/action/startWidgetSession',
      json({ objectType: 'KalturaStartWidgetSessionResponse', ks: 'djJ8NDI0Mnx3aWRnZXQ', partnerId }),
    );
    server.on(
      '/api_v3/service/apptoken/action/startSession',
      json(
        {
          objectType: 'KalturaSessionInfo',
          ks: 'djJ8NDI0MnxzZXNzaW9u',
          partnerId,
          userId: 'reports@example.test',
          expiry,
          sessionType: 0,
          privileges: '',
        },
        200,
        headers,
      ),
    );
    return kaltura
      .appTokenSession({
        serviceUrl: server.origin,
        partnerId,
        appTokenId: '1_apptoken',
        appToken: 'app-token-secret-for-time-tests',
      })
      .acquire({});
  };

  it('an expiry of 1e13 seconds is clamped to 10 years', async () => {
    const c = await session(1e13);
    assert.ok(c.expiresAt! - c.obtainedAt <= MAX_LIFETIME_MS, String(c.expiresAt! - c.obtainedAt));
    assert.ok(c.expiresAt! - c.obtainedAt >= MAX_LIFETIME_MS - 1000, String(c.expiresAt! - c.obtainedAt));
  });

  it('a negative expiry is refused as ERR_RESPONSE_INVALID_FIELD', async () => {
    const err = await rejection(session(-5));
    assert.equal(err.code, 'ERR_RESPONSE_INVALID_FIELD');
    assert.equal(err.field, 'expiry');
  });

  it('a Date header in the year 9999 cannot put the expiry before the answer arrived', async () => {
    const c = await session(Math.floor(Date.now() / 1000) + 3600, { date: 'Fri, 31 Dec 9999 23:59:59 GMT' });
    assert.ok(c.expiresAt! >= c.obtainedAt - 1000, `expiresAt ${c.expiresAt} obtainedAt ${c.obtainedAt}`);
    assert.ok(c.expiresAt! <= c.obtainedAt + MAX_LIFETIME_MS);
  });

  it('a huge Retry-After is a typed error, not "Invalid time value"', async () => {
    server.on('/api_v3/service/session/action/start', {
      status: 429,
      headers: { 'retry-after': '99999999999999' },
      body: '',
    });
    const err = await rejection(
      kaltura
        .adminSession({ serviceUrl: server.origin, partnerId, adminSecret: 'kaltura-admin-secret-time' })
        .acquire({}),
    );
    assert.equal(err.code, 'ERR_HTTP_STATUS');
    assert.equal(err.status, 429);
  });
});

describe('time bounds: device login polling', () => {
  let server: HostileServer;
  let polls = 0;
  const announce = (interval: number, expiresIn = 600) => {
    server.on(
      '/device',
      json({
        device_code: 'device-code-for-time-tests',
        user_code: 'WDJB-MJHT',
        verification_uri: 'https://login.example.test/device',
        expires_in: expiresIn,
        interval,
      }),
    );
  };
  before(async () => {
    server = await startHostileServer();
    serveDiscovery(server, {
      device_authorization_endpoint: '/device',
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    server.on('/token', () => {
      polls++;
      return json({ error: 'authorization_pending' }, 400);
    });
  });
  after(() => server.close());
  beforeEach(() => {
    polls = 0;
  });

  it('an interval of 1e-9 s is raised to 1 s (one poll, not hundreds)', async () => {
    announce(1e-9);
    const controller = new AbortController();
    const pending: number[] = [];
    const provider = oauth2.deviceCode({
      issuer: server.origin,
      clientId: 'public-cli',
      clientAuth: 'none',
      onPrompt: () => {},
      onPending: ({ interval }) => {
        pending.push(interval);
        controller.abort();
      },
    });
    const err = await rejection(provider.acquire({ signal: controller.signal }));
    assert.equal(err.code, 'ERR_ABORTED');
    assert.deepEqual(pending, [1]);
    assert.equal(polls, 1);
  });

  it('an interval of 3,000,000 s is lowered to 60 s, and a code lifetime of 1e300 s to one hour', async () => {
    announce(3_000_000, 1e300);
    const controller = new AbortController();
    const prompts: oauth2.DevicePrompt[] = [];
    const provider = oauth2.deviceCode({
      issuer: server.origin,
      clientId: 'public-cli',
      clientAuth: 'none',
      onPrompt: (p) => {
        prompts.push(p);
        controller.abort();
      },
    });
    const err = await rejection(provider.acquire({ signal: controller.signal }));
    assert.equal(err.code, 'ERR_ABORTED');
    assert.equal(prompts.length, 1);
    assert.equal(prompts[0]!.interval, 60);
    assert.equal(prompts[0]!.expiresIn, 3600);
    assert.equal(polls, 0);
  });
});

describe('time bounds: CLI', () => {
  let server: HostileServer;
  let env: Record<string, string>;
  let cacheDir: string;
  let encryptionKey: Buffer;
  before(async () => {
    server = await startHostileServer();
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-time-cli-'));
    encryptionKey = randomBytes(32);
    cacheDir = join(dir, 'cache', 'tokensmith');
    env = {
      CS: 'client-secret-for-cli-time-tests',
      XDG_CACHE_HOME: join(dir, 'cache'),
      TOKENSMITH_CACHE_KEY: encryptionKey.toString('base64'),
    };
  });
  after(() => server.close());

  const token = (clientId: string, ...more: string[]) =>
    runCli([...adhocToken(server.url('/token'), clientId), ...more], { env });
  const status = async () => {
    const run = await runCli(['status', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Array<Record<string, unknown>>;
  };

  it('expires_in 1e13: token and status work, with the expiry clamped to 10 years', async () => {
    server.on('/token', json({ access_token: 'huge-expiry-token', token_type: 'Bearer', expires_in: 1e13 }));
    const run = await token('huge', '--format', 'json');
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.token, 'huge-expiry-token');
    assert.ok(out.expiresIn <= MAX_LIFETIME_S && out.expiresIn >= MAX_LIFETIME_S - 60, String(out.expiresIn));
    const again = await token('huge');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'huge-expiry-token\n');
    const rows = await status();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.client, 'huge');
    assert.equal(typeof rows[0]!.expiresAt, 'string');
  });

  it('a cache entry with an out-of-range expiry is listed as invalid and breaks no other profile', async () => {
    server.on('/token', json({ access_token: 'first-token', token_type: 'Bearer', expires_in: 300 }));
    assert.equal((await token('victim')).code, 0);
    // What an older tokensmith stored for `expires_in: 1e13`: beyond what a Date can hold.
    const cache = new FileCache({ dir: cacheDir, encryptionKey });
    const keys = (await cache.keys()).filter((k) => k.includes('victim'));
    assert.equal(keys.length, 1, 'expected one cached key for the victim client');
    const record = (await cache.get(keys[0]!))!;
    await cache.set(keys[0]!, { ...record, expiresAt: record.obtainedAt + 1e16 });

    const rows = await status();
    const victim = rows.filter((r) => String(r.client ?? r.key ?? '').includes('victim') || r.invalid);
    assert.equal(victim.length, 1, JSON.stringify(rows));
    assert.match(String(victim[0]!.invalid), /expiresAt/);
    const text = await runCli(['status'], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /invalid/);

    server.on('/token', json({ access_token: 'other-token', token_type: 'Bearer', expires_in: 300 }));
    const other = await token('bystander', '--format', 'json');
    assert.equal(other.code, 0, other.stderr);
    assert.equal(JSON.parse(other.stdout).token, 'other-token');

    server.reset();
    server.on('/token', json({ access_token: 'renewed-token', token_type: 'Bearer', expires_in: 300 }));
    const renewed = await token('victim', '--format', 'json');
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.equal(JSON.parse(renewed.stdout).token, 'renewed-token');
    assert.equal(server.seen.length, 1);
    assert.equal((await status()).filter((r) => r.invalid).length, 0);
  });

  it('decode shows a JWT whose exp, iat and nbf are out of range', async () => {
    const token = jwt({ sub: 'someone', exp: 1e300, iat: -1e300, nbf: 1e16 });
    const asJson = await runCli(['decode', '--json', '-'], { env, input: token });
    assert.equal(asJson.code, 0, asJson.stderr);
    const view = JSON.parse(asJson.stdout);
    assert.deepEqual(view.times, { exp: 'out of range', iat: 'out of range', nbf: 'out of range' });
    assert.equal(view.expired, false);
    assert.equal(view.claims.exp, 1e300);

    const text = await runCli(['decode', '-'], { env, input: token });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^exp: out of range$/m);
    assert.match(text.stdout, /^expiry: in more than 10000y$/m);
  });
});

describe('time bounds: decode of a KS claiming an expiry no date holds', () => {
  const adminSecret = 'kaltura-admin-secret-for-decode';
  for (const version of [1, 2] as const) {
    it(`KS v${version}: decode shows "out of range" and exits 0`, async () => {
      const ks = kaltura.ks.encode({
        version,
        adminSecret,
        partnerId: 4242,
        validUntil: 99_999_999_999_999,
        type: 2,
        userId: 'someone',
        privileges: '',
      });
      const env = { KALTURA_ADMIN_SECRET: adminSecret };
      const asJson = await runCli(['decode', '--json', '--kaltura-secret-env', 'KALTURA_ADMIN_SECRET', '-'], {
        env,
        input: ks,
      });
      assert.equal(asJson.code, 0, asJson.stderr);
      const view = JSON.parse(asJson.stdout);
      assert.equal(view.validUntil, 99_999_999_999_999);
      assert.equal(view.expiresAt, 'out of range');
      assert.equal(view.expired, false);
      const text = await runCli(['decode', '--kaltura-secret-env', 'KALTURA_ADMIN_SECRET', '-'], {
        env,
        input: ks,
      });
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /out of range/);
    });
  }
});

describe('time bounds: credentials and human time', () => {
  const base = {
    v: 1 as const,
    kind: 'oauth2',
    token: 'bounded-token',
    tokenType: 'Bearer',
    obtainedAt: 1_700_000_000_000,
  };

  it('a credential clamps expiresAt and refreshExpiresAt to 10 years after obtainedAt, and 0 at least', () => {
    const c = new Credential({ ...base, expiresAt: Number.POSITIVE_INFINITY, refreshExpiresAt: 1e300 });
    assert.equal(c.expiresAt, base.obtainedAt + MAX_LIFETIME_MS);
    assert.equal(c.refreshExpiresAt, base.obtainedAt + MAX_LIFETIME_MS);
    assert.equal(new Credential({ ...base, expiresAt: -1e300 }).expiresAt, 0);
    assert.equal(
      new Credential({ ...base, expiresAt: base.obtainedAt + 5000 }).expiresAt,
      base.obtainedAt + 5000,
    );
  });

  it('a credential refuses a NaN expiry and an obtainedAt no Date holds', () => {
    assert.throws(
      () => new Credential({ ...base, expiresAt: Number.NaN }),
      (e: unknown) => isTokensmithError(e, 'ERR_RESPONSE_INVALID_FIELD') && e.field === 'expiresAt',
    );
    assert.throws(
      () => new Credential({ ...base, obtainedAt: 1e300 }),
      (e: unknown) => isTokensmithError(e, 'ERR_RESPONSE_INVALID_FIELD') && e.field === 'obtainedAt',
    );
  });

  it('cache records with times out of range are corrupt', () => {
    for (const [field, value] of [
      ['expiresAt', base.obtainedAt + MAX_LIFETIME_MS + 1],
      ['expiresAt', -1],
      ['refreshExpiresAt', 1e16],
      ['obtainedAt', 1e300],
    ] as const) {
      assert.throws(
        () => Credential.fromRecord({ ...base, [field]: value }),
        (e: unknown) => isTokensmithError(e, 'ERR_CACHE_CORRUPT') && e.field === field,
        `${field} ${value}`,
      );
    }
    assert.equal(
      Credential.fromRecord({ ...base, expiresAt: base.obtainedAt + MAX_LIFETIME_MS }).expiresAt,
      base.obtainedAt + MAX_LIFETIME_MS,
    );
  });

  it('human time never throws', () => {
    assert.equal(formatDuration(Number.NaN), 'unknown');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'unknown');
    assert.equal(formatDuration(1e303), 'more than 10000y');
    assert.equal(formatDuration(MAX_LIFETIME_MS), '10y');
    assert.equal(formatDuration(250_000), '4m 10s');
    assert.equal(describeExpiry(Number.NaN, 0), 'unknown expiry');
    assert.equal(describeExpiry(1e303, 0), 'in more than 10000y');
    assert.equal(describeExpiry(-1e303, 0), 'expired more than 10000y ago');
  });
});
