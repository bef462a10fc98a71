/**
 * Issue #11 item 5: token values (access, ID and refresh tokens, KSs) must be header-safe (visible
 * ASCII, no whitespace or control characters) or be refused, wherever they enter: a token endpoint, a
 * Kaltura answer, the configuration, the cache.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FileCache } from 'tokensmith/internal/cache/file.js';
import type { CredentialRecord } from 'tokensmith/internal/core/credential.js';
import { isTokensmithError, type TokensmithError } from 'tokensmith/internal/core/errors.js';
import { TokenManager } from 'tokensmith/internal/core/manager.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';
import * as oauth2 from 'tokensmith/internal/oauth2/index.js';
import { adhocToken, runCli } from '../helpers/cli.js';
import { type HostileServer, json, startHostileServer } from './hostile-server.js';

const INJECTED = 'abc\r\nX-Injected: yes';

/** Values a server may send that no header may carry. */
const UNSAFE: Array<[string, string]> = [
  ['CRLF and a second header', INJECTED],
  ['a bare LF', 'abc\nX-Injected: yes'],
  ['a space', 'abc def'],
  ['a tab', 'abc\tdef'],
  ['a NUL', 'abc\u0000def'],
  ['DEL', 'abc\u007fdef'],
  ['an ESC sequence', 'abc\u001b[2Jdef'],
  ['non-ASCII', 'abcédef'],
];

/** Assert `promise` rejects with `code` naming `field`, and that the message never quotes `value`. */
async function refused(
  promise: Promise<unknown>,
  code: string,
  field: string,
  value: string,
): Promise<TokensmithError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code} for "${field}"`),
    (e: unknown) => e,
  );
  assert.ok(isTokensmithError(err), `not a TokensmithError: ${String(err)}`);
  assert.equal(err.code, code);
  assert.equal(err.field, field);
  assert.ok(!err.message.includes(value), `message quotes the value: ${err.message}`);
  assert.ok(!err.message.includes('X-Injected'), err.message);
  assert.match(err.message, new RegExp(`"?${field}"?`));
  return err;
}

describe('header-safe token values: OAuth token endpoint', () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const provider = (clientId = 'cli') =>
    oauth2.clientCredentials({
      tokenEndpoint: server.url('/token'),
      clientId,
      clientSecret: 'client-secret-for-header-tests',
    });

  for (const field of ['access_token', 'refresh_token', 'id_token'] as const) {
    for (const [what, value] of UNSAFE) {
      it(`refuses ${field} with ${what} as ERR_RESPONSE_INVALID_FIELD naming the field`, async () => {
        const body: Record<string, unknown> = {
          access_token: 'good-access-token',
          token_type: 'Bearer',
          expires_in: 300,
        };
        body[field] = value;
        server.on('/token', json(body));
        await refused(
          new TokenManager(provider()).getCredential(),
          'ERR_RESPONSE_INVALID_FIELD',
          field,
          value,
        );
        assert.equal(server.seen.length, 1);
      });
    }
  }

  it('accepts every visible ASCII character (b64token, JWTs, opaque tokens)', async () => {
    const visible = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    server.on('/token', json({ access_token: visible, token_type: 'Bearer', expires_in: 300 }));
    const credential = await new TokenManager(provider()).getCredential();
    assert.equal(credential.token, visible);
    assert.equal(credential.headers.authorization, `Bearer ${visible}`);
  });

  it('a cached entry with an unsafe token is corrupt: a miss, renewed from the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-header-cache-'));
    const cache = new FileCache({ dir, encryptionKey: 'none' });
    const now = Date.now();
    const bad: CredentialRecord = {
      v: 1,
      kind: 'oauth2',
      token: INJECTED,
      tokenType: 'Bearer',
      obtainedAt: now,
      expiresAt: now + 3_600_000,
    };
    await cache.set('profile:one', bad);
    assert.equal(await cache.get('profile:one'), undefined);
    assert.equal(cache.stats.corruptEntries, 1);

    for (const field of ['refreshToken', 'idToken'] as const) {
      await cache.set(`profile:${field}`, { ...bad, token: 'fine-token', [field]: INJECTED });
      assert.equal(await cache.get(`profile:${field}`), undefined, field);
    }
    await cache.set('profile:headers', {
      ...bad,
      token: 'fine-token',
      headers: { authorization: `Bearer ${INJECTED}` },
    });
    assert.equal(await cache.get('profile:headers'), undefined);
    assert.equal(cache.stats.corruptEntries, 4);

    server.on('/token', json({ access_token: 'renewed-token-1', token_type: 'Bearer', expires_in: 300 }));
    const manager = new TokenManager(provider(), { cache, key: 'profile:one' });
    const credential = await manager.getCredential();
    assert.equal(credential.token, 'renewed-token-1');
    assert.equal(manager.lastSource, 'acquire');
    assert.equal(server.seen.length, 1);
  });
});

describe('header-safe token values: Kaltura', () => {
  let server: HostileServer;
  before(async () => {
    server = await startHostileServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  const partnerId = 4242;
  const sessionInfo = (ks: string) =>
    json({
      objectType: 'KalturaSessionInfo',
      ks,
      partnerId,
      userId: 'reports@example.test',
      expiry: Math.floor(Date.now() / 1000) + 3600,
      sessionType: 0,
      privileges: '',
    });

  it('refuses a KS from session.start that is not header-safe', async () => {
    for (const [what, value] of UNSAFE) {
      server.on('/api_v3/service/session/action/start', json(value));
      const provider = kaltura.adminSession({
        serviceUrl: server.origin,
        partnerId,
        adminSecret: 'kaltura-admin-secret-for-tests',
      });
      await refused(provider.acquire({}), 'ERR_RESPONSE_INVALID_FIELD', 'ks', value).catch((e) =>
        assert.fail(`${what}: ${e}`),
      );
    }
  });

  it('refuses a KS from appToken.startSession and from session.startWidgetSession', async () => {
    const provider = () =>
      kaltura.appTokenSession({
        serviceUrl: server.origin,
        partnerId,
        appTokenId: '1_apptoken',
        appToken: 'app-token-secret-for-header-tests',
      });
    server.on(
      '/api_v3/service/session/action/startWidgetSession',
      json({ objectType: 'KalturaStartWidgetSessionResponse', ks: 'djJ8NDI0Mnx3aWRnZXQ', partnerId }),
    );
    server.on('/api_v3/service/apptoken/action/startSession', sessionInfo(INJECTED));
    await refused(provider().acquire({}), 'ERR_RESPONSE_INVALID_FIELD', 'ks', INJECTED);

    server.on(
      '/api_v3/service/session/action/startWidgetSession',
      json({ objectType: 'KalturaStartWidgetSessionResponse', ks: INJECTED, partnerId }),
    );
    server.reset();
    await refused(provider().acquire({}), 'ERR_RESPONSE_INVALID_FIELD', 'ks', INJECTED);
    // The unsafe widget KS was never sent on.
    assert.deepEqual(
      server.seen.map((r) => new URL(r.url, server.origin).pathname),
      ['/api_v3/service/session/action/startWidgetSession'],
    );
  });

  it('refuses a KS given in the configuration as ERR_CONFIG_INVALID, before any request', () => {
    const given = { serviceUrl: server.origin, partnerId, ks: INJECTED };
    for (const make of [
      () => kaltura.adminSession({ ...given, adminSecret: '' }),
      () => kaltura.appTokenSession({ ...given, appTokenId: '', appToken: '' }),
    ]) {
      assert.throws(make, (err: unknown) => {
        assert.ok(isTokensmithError(err, 'ERR_CONFIG_INVALID'), String(err));
        assert.equal(err.field, 'ks');
        assert.ok(!err.message.includes('X-Injected'), err.message);
        return true;
      });
    }
    assert.equal(server.seen.length, 0);
  });
});

describe('header-safe token values: CLI', () => {
  let server: HostileServer;
  let env: Record<string, string>;
  let cacheDir: string;
  const encryptionKey = randomBytes(32);
  before(async () => {
    server = await startHostileServer();
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-header-cli-'));
    cacheDir = join(dir, 'cache', 'tokensmith');
    env = {
      CS: 'client-secret-for-cli-header-tests',
      XDG_CACHE_HOME: join(dir, 'cache'),
      TOKENSMITH_CACHE_KEY: encryptionKey.toString('base64'),
    };
  });
  after(() => server.close());

  const adhoc = (clientId: string) => adhocToken(server.url('/token'), clientId);

  for (const format of ['header', 'raw', 'env', 'json', 'exec-credential']) {
    it(`token --format ${format} prints nothing and fails with ERR_RESPONSE_INVALID_FIELD`, async () => {
      server.on('/token', json({ access_token: INJECTED, token_type: 'Bearer', expires_in: 300 }));
      const run = await runCli([...adhoc(`cli-${format}`), '--format', format], { env });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /ERR_RESPONSE_INVALID_FIELD/);
      assert.match(run.stderr, /access_token/);
      assert.doesNotMatch(run.stderr, /X-Injected/);
    });
  }

  it('a cached token that is not header-safe is listed as invalid by status and renewed by token', async () => {
    server.on('/token', json({ access_token: 'cached-good-token', token_type: 'Bearer', expires_in: 300 }));
    assert.equal((await runCli(adhoc('cached'), { env })).code, 0);
    const cache = new FileCache({ dir: cacheDir, encryptionKey });
    const keys = (await cache.keys()).filter((k) => k.includes('cached'));
    assert.equal(keys.length, 1, 'expected one cached key');
    const record = (await cache.get(keys[0]!))!;
    await cache.set(keys[0]!, { ...record, token: INJECTED });

    const status = await runCli(['status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const rows = JSON.parse(status.stdout) as Array<Record<string, unknown>>;
    const invalid = rows.filter((r) => r.invalid);
    assert.equal(invalid.length, 1, status.stdout);
    assert.equal(invalid[0]!.client, 'cached');
    assert.match(String(invalid[0]!.invalid), /"token" is not a header-safe token/);
    assert.doesNotMatch(status.stdout + status.stderr, /X-Injected/);

    server.reset();
    server.on('/token', json({ access_token: 'renewed-good-token', token_type: 'Bearer', expires_in: 300 }));
    const run = await runCli([...adhoc('cached'), '--format', 'header'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Authorization: Bearer renewed-good-token\n');
    assert.equal(server.seen.length, 1);
  });

  it('a KS given by KALTURA_SESSION that is not header-safe is a configuration error (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokensmith-header-ks-'));
    mkdirSync(join(dir, 'config', 'tokensmith'), { recursive: true });
    const file = join(dir, 'config', 'tokensmith', 'config.toml');
    writeFileSync(
      file,
      `[profiles.given]\ntype = "kaltura-app-token"\nservice_url = "${server.origin}"\npartner_id = 4242\napp_token_id = "1_apptoken"\napp_token = "env:KALTURA_APP_TOKEN"\n`,
    );
    chmodSync(file, 0o600);
    server.reset();
    const run = await runCli(['token', '-p', 'given'], {
      env: {
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_CACHE_HOME: join(dir, 'cache'),
        KALTURA_APP_TOKEN: 'app-token-secret-for-cli-tests',
        KALTURA_SESSION: INJECTED,
      },
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /ERR_CONFIG_INVALID/);
    assert.match(run.stderr, /\bks\b/);
    assert.doesNotMatch(run.stderr, /X-Injected/);
    assert.equal(server.seen.length, 0);
  });
});
